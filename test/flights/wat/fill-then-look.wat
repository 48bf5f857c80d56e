;; A memory-hungry flight that waits on the cluster: it grows its memory until refused (so it holds exactly its
;; maxMemoryMib; never run it without one), touches every 4 KiB page of it so the memory is really resident, then looks
;; up ConfigMap `gate` in its namespace (a test holds that request to keep the run, and its memory, alive), and prints
;; a ConfigMap.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "host" "k8s_lookup" (func $lookup (param i32 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 64) "gateConfigMapv1")
  (data (i32.const 256) "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\ndata:\n  filled: all\n")
  (func (export "malloc") (param $size i32) (result i64)
    ;; every answer lands at 4096: the flight never reads one
    (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.extend_i32_u (local.get $size))))
  (func (export "_start")
    (local $at i32)
    (local $end i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (local.set $at (i32.const 65536))
    (loop $touch
      (i32.store8 (local.get $at) (i32.const 1))
      (local.set $at (i32.add (local.get $at) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $at) (local.get $end))))
    ;; name "gate" (64, 4), namespace "" (the release namespace), kind "ConfigMap" (68, 9), apiVersion "v1" (77, 2)
    (drop (call $lookup (i32.const 16)
      (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 4))
      (i64.const 0)
      (i64.or (i64.shl (i64.const 68) (i64.const 32)) (i64.const 9))
      (i64.or (i64.shl (i64.const 77) (i64.const 32)) (i64.const 2))))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 74))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
