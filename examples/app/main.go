// Command app is the APP example flight (see README.md): a Database whose
// connection Secret is created by another controller, and a Deployment that
// waits for that Secret.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"jetway.dev/examples/abi"
	"jetway.dev/examples/names"
)

const (
	apiVersion     = "examples.jetway.dev/v1"
	kind           = "App"
	defaultImage   = "nginx:1.27"
	defaultReplica = 1
)

func main() { abi.Main(func() error { return abi.RunStage(os.Stdin, os.Stdout, stage) }) }

type appSpec struct {
	Image    string `json:"image"`
	Replicas *int64 `json:"replicas"`
}

// stage turns the App object given as input into this round's resources, the App with its status last.
func stage(input []byte) ([]any, error) {
	self, spec, err := parseInput(input)
	if err != nil {
		return nil, err
	}

	release := names.Release()
	dbName := release + "-db"
	secretName := release + "-db-conn"

	resources := []any{map[string]any{
		"apiVersion": "db.example.com/v1",
		"kind":       "Database",
		"metadata":   map[string]any{"name": dbName},
		"spec":       map[string]any{"engine": "postgres"},
	}}

	progress := abi.Waiting
	message, err := func() (string, error) {
		_, err := abi.Lookup(secretName, "", "Secret", "v1")
		if abi.IsNotFound(err) {
			return "waiting for connection secret " + secretName, nil
		}
		if err != nil {
			return "", fmt.Errorf("failed to look up Secret %s: %w", secretName, err)
		}

		replicas := int64(defaultReplica)
		if spec.Replicas != nil {
			replicas = *spec.Replicas
		}
		image := spec.Image
		if image == "" {
			image = defaultImage
		}
		resources = append(resources, deployment(release, image, replicas, secretName))

		waiting := "waiting for Deployment " + release + " to become available"
		live, err := abi.Lookup(release, "", "Deployment", "apps/v1")
		if abi.IsNotFound(err) {
			return waiting, nil
		}
		if err != nil {
			return "", fmt.Errorf("failed to look up Deployment %s: %w", release, err)
		}
		if available(live, replicas) {
			progress = abi.Done
			return "ready", nil
		}
		return waiting, nil
	}()
	if err != nil {
		return nil, err
	}

	self["status"] = abi.Status(message, progress)
	return append(resources, self), nil
}

// parseInput returns the object to re-emit (apiVersion, kind, metadata.name
// and .namespace, spec) and its decoded spec.
func parseInput(input []byte) (map[string]any, appSpec, error) {
	var given struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Spec json.RawMessage `json:"spec"`
	}
	var spec appSpec
	if len(bytes.TrimSpace(input)) > 0 {
		if err := json.Unmarshal(input, &given); err != nil {
			return nil, spec, fmt.Errorf("failed to decode input as a %s object: %w", kind, err)
		}
	}
	rawSpec := map[string]any{}
	if len(given.Spec) > 0 && string(given.Spec) != "null" {
		if err := json.Unmarshal(given.Spec, &spec); err != nil {
			return nil, spec, fmt.Errorf("invalid spec: %w", err)
		}
		if err := json.Unmarshal(given.Spec, &rawSpec); err != nil {
			return nil, spec, fmt.Errorf("invalid spec: %w", err)
		}
	}
	metadata := map[string]any{"name": given.Metadata.Name}
	if given.Metadata.Name == "" {
		metadata["name"] = names.Release()
	}
	if given.Metadata.Namespace != "" {
		metadata["namespace"] = given.Metadata.Namespace
	}
	self := map[string]any{
		"apiVersion": orDefault(given.APIVersion, apiVersion),
		"kind":       orDefault(given.Kind, kind),
		"metadata":   metadata,
		"spec":       rawSpec,
	}
	return self, spec, nil
}

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

func deployment(release, image string, replicas int64, secretName string) map[string]any {
	labels := map[string]any{"app.kubernetes.io/name": release}
	return map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": release},
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"containers": []any{map[string]any{
						"name":    "app",
						"image":   image,
						"envFrom": []any{map[string]any{"secretRef": map[string]any{"name": secretName}}},
					}},
				},
			},
		},
	}
}

// available: condition Available is "True", or status.availableReplicas >= replicas.
func available(live map[string]any, replicas int64) bool {
	status, _ := live["status"].(map[string]any)
	conditions, _ := status["conditions"].([]any)
	for _, c := range conditions {
		entry, _ := c.(map[string]any)
		if entry["type"] == "Available" && entry["status"] == "True" {
			return true
		}
	}
	if n, ok := status["availableReplicas"].(float64); ok && int64(n) >= replicas {
		return true
	}
	return false
}
