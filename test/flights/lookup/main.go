// Command lookup is yokecd's lookup test module: stdin is a resource
// identifier {Name, Namespace, Kind, ApiVersion}; it prints the live object.
package main

import (
	"encoding/json"
	"os"

	"jetway.dev/examples/abi"
)

func main() { abi.Main(run) }

func run() error {
	var id abi.ResourceIdentifier
	if err := json.NewDecoder(os.Stdin).Decode(&id); err != nil {
		return err
	}
	var object map[string]any
	if err := abi.LookupInto(id, &object); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(object)
}
