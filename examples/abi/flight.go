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
	input, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("failed to read input: %w", err)
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
