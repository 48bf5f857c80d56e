// Package flow is the logic of the pipeline example: three Jobs run strictly
// one after the other, each emitted only once its predecessor has completed.
// It lives in a package of its own so that test flights (the "big" benchmark
// flight) can run exactly the same code.
package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"jetway.dev/examples/abi"
	"jetway.dev/examples/names"
)

const (
	APIVersion = "examples.jetway.dev/v1"
	Kind       = "Pipeline"
)

// Steps are the job suffixes, in the order they run.
var Steps = []string{"one", "two", "three"}

// Main runs the flight against the process's stdin/stdout/stderr and exits 1 on error.
func Main() { abi.Main(func() error { return Run(os.Stdin, os.Stdout) }) }

// Run reads the Pipeline object from in and writes one stage (a JSON array) to out.
func Run(in io.Reader, out io.Writer) error { return abi.RunStage(in, out, stage) }

// stage turns the Pipeline object given as input into this round's resources, the Pipeline with its status last.
func stage(input []byte) ([]any, error) {
	self, err := parseInput(input)
	if err != nil {
		return nil, err
	}

	release := names.Release()
	resources := []any{job(release, 0)}
	var message string
	progress := abi.Waiting

	for i, step := range Steps {
		name := release + "-" + step
		live, err := abi.Lookup(name, "", "Job", "batch/v1")
		if abi.IsNotFound(err) {
			message = "waiting for job " + step + " to complete"
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to look up Job %s: %w", name, err)
		}
		if failed, ok := condition(live, "Failed"); ok && failed.status == "True" {
			message = "job " + step + " failed: " + failed.explain()
			progress = abi.Failed
			break
		}
		if complete, ok := condition(live, "Complete"); !ok || complete.status != "True" {
			message = "waiting for job " + step + " to complete"
			break
		}
		if i == len(Steps)-1 {
			message = "all jobs have completed"
			progress = abi.Done
			break
		}
		resources = append(resources, job(release, i+1))
	}

	self["status"] = abi.Status(message, progress)
	return append(resources, self), nil
}

// parseInput returns the object to re-emit with a status: apiVersion, kind,
// metadata.name (and metadata.namespace when given) and spec of the input.
func parseInput(input []byte) (map[string]any, error) {
	var given map[string]any
	if len(bytes.TrimSpace(input)) > 0 {
		if err := json.Unmarshal(input, &given); err != nil {
			return nil, fmt.Errorf("failed to decode input as a %s object: %w", Kind, err)
		}
	}
	metadata := map[string]any{"name": names.Release()}
	spec := map[string]any{}
	apiVersion, kind := APIVersion, Kind
	if given != nil {
		if v, ok := given["apiVersion"].(string); ok && v != "" {
			apiVersion = v
		}
		if v, ok := given["kind"].(string); ok && v != "" {
			kind = v
		}
		if m, ok := given["metadata"].(map[string]any); ok {
			if v, ok := m["name"].(string); ok && v != "" {
				metadata["name"] = v
			}
			if v, ok := m["namespace"].(string); ok && v != "" {
				metadata["namespace"] = v
			}
		}
		if s, ok := given["spec"].(map[string]any); ok {
			spec = s
		}
	}
	return map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   metadata,
		"spec":       spec,
	}, nil
}

// job is the Job for Steps[index]; it leaves the namespace to the destination.
func job(release string, index int) map[string]any {
	step := Steps[index]
	return map[string]any{
		"apiVersion": "batch/v1",
		"kind":       "Job",
		"metadata":   map[string]any{"name": release + "-" + step},
		"spec": map[string]any{
			"backoffLimit": 0,
			"template": map[string]any{
				"spec": map[string]any{
					"restartPolicy": "Never",
					"containers": []any{map[string]any{
						"name":    "step",
						"image":   "busybox:1.36",
						"command": []any{"sh", "-c", fmt.Sprintf("echo step %d", index+1)},
					}},
				},
			},
		},
	}
}

type jobCondition struct {
	status, reason, message string
}

func (c jobCondition) explain() string {
	switch {
	case c.message != "":
		return c.message
	case c.reason != "":
		return c.reason
	default:
		return "no reason given"
	}
}

// condition finds status.conditions[type == kind] in a live object.
func condition(object map[string]any, kind string) (jobCondition, bool) {
	status, _ := object["status"].(map[string]any)
	conditions, _ := status["conditions"].([]any)
	for _, c := range conditions {
		entry, _ := c.(map[string]any)
		if t, _ := entry["type"].(string); t != kind {
			continue
		}
		s, _ := entry["status"].(string)
		r, _ := entry["reason"].(string)
		m, _ := entry["message"].(string)
		return jobCondition{status: s, reason: r, message: m}, true
	}
	return jobCondition{}, false
}
