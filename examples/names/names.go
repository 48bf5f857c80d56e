// Package names turns the release into Kubernetes object names for the
// examples. It is a package of its own so that the test flights, which do not
// use it, build to the same bytes as before.
package names

import (
	"strings"

	"jetway.dev/examples/abi"
)

// Release is the release as a Kubernetes object name. Argo CD names an app
// outside its own namespace "<namespace>_<name>", and "_" is not allowed in
// object names, so it becomes "." (a namespace name holds no dot, so the name
// stays unambiguous); jetway names an app's FlightStatus the same way.
func Release() string { return strings.ReplaceAll(abi.Release(), "_", ".") }
