// Command memory allocates and touches N MiB, then prints an empty stage.
// N comes from the flag -mb N (yoke's test passes args "-mb 2"), else from
// stdin holding a number, else 1.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	mb := flag.Int("mb", -1, "MiB to allocate")
	flag.Parse()
	count := *mb
	if count < 0 {
		count = 1
		input, _ := io.ReadAll(os.Stdin)
		if text := strings.TrimSpace(string(input)); text != "" {
			n, err := strconv.Atoi(text)
			if err != nil || n < 0 {
				fmt.Fprintf(os.Stderr, "input must be a number of MiB, got %q\n", text)
				os.Exit(1)
			}
			count = n
		}
	}

	data := make([]byte, count<<20)
	for i := range data {
		data[i] = byte(i)
	}
	fmt.Println("[]")
}
