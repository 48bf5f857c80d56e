// Command echo prints what the host gave it: its arguments (without argv[0]),
// its whole environment, and stdin as a string. Not a valid flight: it tests
// the runner itself (the equivalent of yokecd's echo test module).
package main

import (
	"encoding/json"
	"io"
	"os"
	"strings"
)

func main() {
	input, _ := io.ReadAll(os.Stdin)
	env := map[string]string{}
	for _, entry := range os.Environ() {
		key, value, _ := strings.Cut(entry, "=")
		env[key] = value
	}
	args := append([]string{}, os.Args[1:]...)
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"args":  args,
		"env":   env,
		"input": string(input),
	})
}
