package abi

// The other half of yoke's flight contract is the process itself: the
// resources go to stdout, and a failure is a message on stderr and exit code 1.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Main runs a flight's body and turns its error into yoke's failure: the message on stderr, exit code 1.
func Main(run func() error) {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// RunStage is the read-compute-write body the examples share: all of in to stage, its resources to out as one JSON array line.
func RunStage(in io.Reader, out io.Writer, stage func(input []byte) ([]any, error)) error {
	raw, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("failed to read input: %w", err)
	}
	input, err := InputJSON(raw)
	if err != nil {
		return fmt.Errorf("failed to decode input as YAML or JSON: %w", err)
	}
	resources, err := stage(input)
	if err != nil {
		return err
	}
	encoded, err := json.Marshal(resources)
	if err != nil {
		return err
	}
	_, err = out.Write(append(encoded, '\n'))
	return err
}

// Progress is where a flight's orchestration stands, for yoke's Ready condition.
type Progress int

const (
	Waiting Progress = iota
	Done
	Failed
)

// Status is the status a flight puts on its own object: the message, and, when the flight runs with the argument
// --ready-condition, yoke's convention too: status.conditions[type=Ready] (True when done; False with reason
// Waiting or Failed otherwise), which jetway reads before its message rule.
func Status(message string, progress Progress) map[string]any {
	status := map[string]any{"message": message}
	if !readyConditionRequested() {
		return status
	}
	condition := map[string]any{"type": "Ready", "status": "False", "reason": "Waiting", "message": message}
	switch progress {
	case Done:
		condition["status"], condition["reason"] = "True", "Ready"
	case Failed:
		condition["reason"] = "Failed"
	}
	status["conditions"] = []any{condition}
	return status
}

func readyConditionRequested() bool {
	for _, arg := range os.Args[1:] {
		if arg == "--ready-condition" {
			return true
		}
	}
	return false
}
