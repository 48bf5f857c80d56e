// Command restmapping is yoke's rest-mapping test: input {APIVersion, Kind};
// it emits ConfigMap "test" with the mapping's resource and scope.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"jetway.dev/examples/abi"
)

func main() { abi.Main(run) }

func run() error {
	var input struct {
		APIVersion string
		Kind       string
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		return fmt.Errorf("failed to decode input: %w", err)
	}
	mapping, err := abi.GetRestMapping(input.APIVersion, input.Kind)
	if err != nil {
		return fmt.Errorf("failed to get rest mapping: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": "test"},
		"data": map[string]string{
			"resource":   mapping.Resource,
			"namespaced": strconv.FormatBool(mapping.Namespaced),
		},
	})
}
