// Command versioncheck fails unless YOKE_VERSION is at least a minimum
// version: the first argument if given, else stdin if not empty, else
// v999.999.999 (yoke's own test value, which no release reaches).
// Versions compare as semantic versions with a leading "v" ("v1" and "v1.2"
// are short for v1.0.0 and v1.2.0); an invalid version is lower than any
// valid one. On success it emits a ConfigMap recording both versions.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"jetway.dev/examples/abi"
)

const defaultMinimum = "v999.999.999"

func main() {
	minimum := defaultMinimum
	if len(os.Args) > 1 && os.Args[1] != "" {
		minimum = os.Args[1]
	} else if input, _ := io.ReadAll(os.Stdin); strings.TrimSpace(string(input)) != "" {
		minimum = strings.TrimSpace(string(input))
	}

	current := abi.YokeVersion()
	if compare(current, minimum) < 0 {
		fmt.Fprintln(os.Stderr, "failed to meet min version requirement for yoke")
		fmt.Fprintf(os.Stderr, "YOKE_VERSION %q is lower than %q\n", current, minimum)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": abi.Release() + "-versioncheck"},
		"data":       map[string]string{"yokeVersion": current, "minimum": minimum},
	})
}

type version struct {
	core [3]uint64
	pre  []string
}

// parse reads vMAJOR[.MINOR[.PATCH[-PRERELEASE]]][+BUILD]; ok is false when invalid.
func parse(text string) (v version, ok bool) {
	rest, found := strings.CutPrefix(text, "v")
	if !found {
		return v, false
	}
	rest, _, _ = strings.Cut(rest, "+") // build metadata never affects order
	rest, pre, hasPre := strings.Cut(rest, "-")
	parts := strings.Split(rest, ".")
	if len(parts) > 3 || (hasPre && len(parts) != 3) {
		return v, false
	}
	for i, part := range parts {
		if !numeric(part) || (len(part) > 1 && part[0] == '0') {
			return v, false
		}
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return v, false
		}
		v.core[i] = n
	}
	if hasPre {
		v.pre = strings.Split(pre, ".")
		for _, id := range v.pre {
			if id == "" || (numeric(id) && len(id) > 1 && id[0] == '0') {
				return v, false
			}
		}
	}
	return v, true
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// compare returns -1, 0 or +1 like golang.org/x/mod/semver.Compare.
func compare(a, b string) int {
	va, okA := parse(a)
	vb, okB := parse(b)
	switch {
	case !okA && !okB:
		return 0
	case !okA:
		return -1
	case !okB:
		return 1
	}
	for i := range va.core {
		if va.core[i] != vb.core[i] {
			return sign(va.core[i] > vb.core[i])
		}
	}
	// A version without prerelease ranks above one with it.
	switch {
	case len(va.pre) == 0 && len(vb.pre) == 0:
		return 0
	case len(va.pre) == 0:
		return 1
	case len(vb.pre) == 0:
		return -1
	}
	for i := 0; i < len(va.pre) && i < len(vb.pre); i++ {
		if c := comparePre(va.pre[i], vb.pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(va.pre) == len(vb.pre):
		return 0
	default:
		return sign(len(va.pre) > len(vb.pre))
	}
}

func comparePre(a, b string) int {
	na, nb := numeric(a), numeric(b)
	switch {
	case na && nb:
		if len(a) != len(b) {
			return sign(len(a) > len(b))
		}
		return strings.Compare(a, b)
	case na:
		return -1 // numeric identifiers rank below alphanumeric ones
	case nb:
		return 1
	default:
		return strings.Compare(a, b)
	}
}

func sign(greater bool) int {
	if greater {
		return 1
	}
	return -1
}
