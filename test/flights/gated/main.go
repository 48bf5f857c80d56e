// A staged flight whose later output depends on the cluster: its input names stages of resources, plus resources that
// join a stage only once a ConfigMap exists. It prints the stages (sync waves under jetway), so a scenario can change a
// flight's output for the same commit while Argo CD syncs it, and let several apps wait on one shared object.
//
// Input: {"stages": [[<object>...]...], "gated": [{"configMap": "<name>", "stage": <index>, "object": <object>}...]}
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"jetway.dev/examples/abi"
)

type gated struct {
	ConfigMap string         `json:"configMap"`
	Stage     int            `json:"stage"`
	Object    map[string]any `json:"object"`
}

type input struct {
	Stages [][]map[string]any `json:"stages"`
	Gated  []gated            `json:"gated"`
}

func main() { abi.Main(run) }

func run() error {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		return fmt.Errorf("failed to decode input: %w", err)
	}
	for _, g := range in.Gated {
		if g.Stage < 0 || g.Stage >= len(in.Stages) {
			return fmt.Errorf("gated object names stage %d of %d", g.Stage, len(in.Stages))
		}
		_, err := abi.Lookup(g.ConfigMap, "", "ConfigMap", "v1")
		if abi.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("failed to look up ConfigMap %s: %w", g.ConfigMap, err)
		}
		in.Stages[g.Stage] = append(in.Stages[g.Stage], g.Object)
	}
	return json.NewEncoder(os.Stdout).Encode(in.Stages)
}
