// The pipeline example with its steps named by the flight's arguments (the plugin's `args`): one Job per step, each
// emitted only once the previous one has completed. The scenarios use it for pipelines longer than the example's three.
package main

import (
	"os"

	"jetway.dev/examples/pipeline/flow"
)

func main() {
	// os.Args[0] is the release; the steps follow it
	if len(os.Args) > 1 {
		flow.Steps = os.Args[1:]
	}
	flow.Main()
}
