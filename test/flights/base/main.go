// Command base is yoke's "base" lookup test: it emits the Secret
// <release>-example, reusing the live data.password when the Secret exists
// and inventing 12 random hex characters when it does not.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"jetway.dev/examples/abi"
)

func main() { abi.Main(run) }

func run() error {
	name := abi.Release() + "-example"
	id := abi.ResourceIdentifier{Name: name, Namespace: abi.Namespace(), Kind: "Secret", ApiVersion: "v1"}

	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(input)) > 0 {
		// Field names match case-insensitively, as in yoke (Name, name, ...).
		if err := json.Unmarshal(input, &id); err != nil {
			return fmt.Errorf("failed to decode input: %w", err)
		}
	}

	var live struct {
		Data map[string]string `json:"data"`
	}
	password := ""
	switch err := abi.LookupInto(id, &live); {
	case err == nil:
		decoded, err := base64.StdEncoding.DecodeString(live.Data["password"])
		if err != nil {
			return fmt.Errorf("failed to decode data.password: %w", err)
		}
		password = string(decoded)
	case abi.IsNotFound(err):
		random := make([]byte, 6)
		if _, err := rand.Read(random); err != nil {
			return err
		}
		password = hex.EncodeToString(random)
	default:
		return fmt.Errorf("failed to lookup secret: %v", err)
	}

	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": name},
		"stringData": map[string]string{"password": password},
	})
}
