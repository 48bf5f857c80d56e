//go:build !wasip1

package abi

// Outside wasip1 there is no host: every call reports FeatureNotGranted, so
// the package still builds (and vets) natively.

// Free is a no-op outside wasip1.
func Free(uint64) {}

func hostLookup(string, string, string, string) (State, []byte) {
	return StateFeatureNotGranted, nil
}

func hostRestMapping(string, string) (State, []byte) {
	return StateFeatureNotGranted, nil
}
