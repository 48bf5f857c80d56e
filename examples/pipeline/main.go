// Command pipeline is the pipeline orchestration example flight (see README.md).
package main

import "jetway.dev/examples/pipeline/flow"

func main() { flow.Main() }
