// Command name emits a ConfigMap named after the release, whose data is the
// input (a JSON object of strings; anything else leaves it empty).
package main

import (
	"encoding/json"
	"os"

	"jetway.dev/examples/abi"
)

func main() {
	var data map[string]string
	_ = json.NewDecoder(os.Stdin).Decode(&data)
	object := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": abi.Release()},
	}
	if data != nil {
		object["data"] = data
	}
	_ = json.NewEncoder(os.Stdout).Encode(object)
}
