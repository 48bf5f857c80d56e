// Command big behaves exactly like the pipeline example (it runs the same
// flow.Main) but links a large part of the standard library so that the
// module is over 10 MB, like a real yoke-SDK flight (~16 MB). Benchmarks use
// it as that stand-in. The extra code sits behind a guard that is never true
// (an environment variable whose name holds a NUL byte cannot exist), which
// the linker cannot see through, so it keeps all of it.
package main

import (
	"os"

	"jetway.dev/examples/pipeline/flow"
)

func main() {
	if os.Getenv("JETWAY\x00BALLAST") == "run" {
		ballast()
		return
	}
	flow.Main()
}
