//go:build wasip1

package abi

import (
	"runtime"
	"unsafe"
)

//go:wasmimport host k8s_lookup
func k8sLookup(state *uint32, name, namespace, kind, apiVersion uint64) uint64

//go:wasmimport host k8s_rest_mapping
func k8sRestMapping(state *uint32, groupOrAPIVersion, kind uint64) uint64

// heap keeps every malloc-ed block reachable until Free, so that the garbage
// collector cannot reclaim memory the host is about to fill.
var heap = map[uint64][]byte{}

// pack returns the (address << 32) | length form of a slice.
func pack(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(uint32(len(b)))
}

// packString is Pack for a string (no copy; the caller keeps s alive).
func packString(s string) uint64 {
	if len(s) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))<<32 | uint64(uint32(len(s)))
}

//go:wasmexport malloc
func malloc(size uint32) uint64 {
	block := make([]byte, size)
	buffer := pack(block)
	if buffer != 0 {
		heap[buffer] = block
	}
	return buffer
}

// Free drops the reference malloc kept for buffer.
func Free(buffer uint64) { delete(heap, buffer) }

// take copies out the bytes of a host-returned buffer and frees it.
func take(buffer uint64) []byte {
	if buffer == 0 {
		return nil
	}
	if block, ok := heap[buffer]; ok {
		delete(heap, buffer)
		return block
	}
	// Not one of ours (a host that wrote elsewhere): read it in place.
	address, length := uint32(buffer>>32), uint32(buffer)
	if length == 0 {
		return nil
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(address))), length)...)
}

func hostLookup(name, namespace, kind, apiVersion string) (State, []byte) {
	var state uint32
	buffer := k8sLookup(&state, packString(name), packString(namespace), packString(kind), packString(apiVersion))
	data := take(buffer)
	// The host reads the argument strings while malloc may run the collector.
	runtime.KeepAlive(name)
	runtime.KeepAlive(namespace)
	runtime.KeepAlive(kind)
	runtime.KeepAlive(apiVersion)
	return State(state), data
}

func hostRestMapping(groupOrAPIVersion, kind string) (State, []byte) {
	var state uint32
	buffer := k8sRestMapping(&state, packString(groupOrAPIVersion), packString(kind))
	data := take(buffer)
	runtime.KeepAlive(groupOrAPIVersion)
	runtime.KeepAlive(kind)
	return State(state), data
}
