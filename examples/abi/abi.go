// Package abi is jetway's flight-side half of the yoke host ABI, written with
// the standard library only.
//
// A flight reaches the cluster through two imports of the wasm module "host":
//
//	k8s_lookup(state i32, name, namespace, kind, apiVersion i64) i64
//	k8s_rest_mapping(state i32, groupOrAPIVersion, kind i64) i64
//
// Every string or buffer crosses the boundary as one i64 holding
// (address << 32) | length within the guest's linear memory. The host writes
// its answer into memory it obtains from the guest's exported malloc and
// returns that buffer; it reports the outcome through the uint32 at state
// (see the State constants). On a failure the buffer holds the error text.
package abi

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// State is the outcome code a host call writes to its state pointer.
type State uint32

const (
	StateOK                State = 0
	StateFeatureNotGranted State = 1
	StateError             State = 2
	StateNotFound          State = 3
	StateUnauthenticated   State = 4
	StateForbidden         State = 5
)

// ErrClusterAccessNotGranted is returned when the run does not allow cluster access.
var ErrClusterAccessNotGranted = errors.New("access to the cluster has not been granted for this flight invocation")

// ErrorNotFound is returned when the looked-up object does not exist.
type ErrorNotFound string

func (e ErrorNotFound) Error() string { return string(e) }

// Is makes errors.Is(err, ErrorNotFound("")) match any ErrorNotFound.
func (ErrorNotFound) Is(target error) bool { _, ok := target.(ErrorNotFound); return ok }

// ErrorForbidden is returned when the API server or the access policy denied the lookup.
type ErrorForbidden string

func (e ErrorForbidden) Error() string { return string(e) }

// Is makes errors.Is(err, ErrorForbidden("")) match any ErrorForbidden.
func (ErrorForbidden) Is(target error) bool { _, ok := target.(ErrorForbidden); return ok }

// ErrorUnauthenticated is returned when the API server answered 401.
type ErrorUnauthenticated string

func (e ErrorUnauthenticated) Error() string { return string(e) }

// Is makes errors.Is(err, ErrorUnauthenticated("")) match any ErrorUnauthenticated.
func (ErrorUnauthenticated) Is(target error) bool { _, ok := target.(ErrorUnauthenticated); return ok }

// IsNotFound reports whether err is (or wraps) an ErrorNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrorNotFound("")) }

// IsForbidden reports whether err is (or wraps) an ErrorForbidden.
func IsForbidden(err error) bool { return errors.Is(err, ErrorForbidden("")) }

// IsUnauthenticated reports whether err is (or wraps) an ErrorUnauthenticated.
func IsUnauthenticated(err error) bool { return errors.Is(err, ErrorUnauthenticated("")) }

// stateError turns a non-OK state and the host's message into a typed error.
func stateError(state State, message string) error {
	switch state {
	case StateFeatureNotGranted:
		return ErrClusterAccessNotGranted
	case StateError:
		return errors.New(message)
	case StateNotFound:
		return ErrorNotFound(message)
	case StateUnauthenticated:
		return ErrorUnauthenticated(message)
	case StateForbidden:
		return ErrorForbidden(message)
	default:
		return fmt.Errorf("host returned unknown state %d: %s", uint32(state), message)
	}
}

// ResourceIdentifier names one object, with yoke's field names (they are
// also the JSON keys a flight's input may use to override them).
type ResourceIdentifier struct {
	Name       string
	Namespace  string
	Kind       string
	ApiVersion string
}

// LookupRaw fetches one live object and returns its JSON as the host sent it.
// An empty namespace lets the host choose (jetway: the release namespace).
func LookupRaw(name, namespace, kind, apiVersion string) ([]byte, error) {
	state, data := hostLookup(name, namespace, kind, apiVersion)
	if state != StateOK {
		return nil, stateError(state, string(data))
	}
	return data, nil
}

// Lookup fetches one live object as generic JSON.
func Lookup(name, namespace, kind, apiVersion string) (map[string]any, error) {
	var object map[string]any
	if err := LookupInto(ResourceIdentifier{Name: name, Namespace: namespace, Kind: kind, ApiVersion: apiVersion}, &object); err != nil {
		return nil, err
	}
	return object, nil
}

// LookupInto fetches one live object and JSON-decodes it into out.
func LookupInto(id ResourceIdentifier, out any) error {
	data, err := LookupRaw(id.Name, id.Namespace, id.Kind, id.ApiVersion)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("failed to decode %s %s: %w", id.Kind, id.Name, err)
	}
	return nil
}

// RestMapping is the host's answer to GetRestMapping (Go field names, no tags).
type RestMapping struct {
	Group      string
	Version    string
	Kind       string
	Resource   string
	Namespaced bool
}

// GetRestMapping asks the host how kind maps to a resource. groupOrAPIVersion
// is split at its first "/": "apps/v1" and "apps" name group apps; core kinds
// need "" or "/v1".
func GetRestMapping(groupOrAPIVersion, kind string) (*RestMapping, error) {
	state, data := hostRestMapping(groupOrAPIVersion, kind)
	if state != StateOK {
		return nil, stateError(state, string(data))
	}
	var mapping RestMapping
	if err := json.Unmarshal(data, &mapping); err != nil {
		return nil, fmt.Errorf("failed to decode rest mapping: %w", err)
	}
	return &mapping, nil
}

// Release is the last path segment of YOKE_RELEASE (falling back to argv[0],
// which the host sets to the release name).
func Release() string {
	if release := lastSegment(os.Getenv("YOKE_RELEASE")); release != "" {
		return release
	}
	if len(os.Args) > 0 {
		return lastSegment(os.Args[0])
	}
	return ""
}

// Namespace is YOKE_NAMESPACE, or NAMESPACE when that is empty.
func Namespace() string {
	if ns := os.Getenv("YOKE_NAMESPACE"); ns != "" {
		return ns
	}
	return os.Getenv("NAMESPACE")
}

// YokeVersion is the YOKE_VERSION the host announced (e.g. "v0.20.27").
func YokeVersion() string { return os.Getenv("YOKE_VERSION") }

func lastSegment(value string) string {
	if i := strings.LastIndexByte(value, '/'); i >= 0 {
		return value[i+1:]
	}
	return value
}
