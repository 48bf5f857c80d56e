;; A flight passing k8s_lookup a name whose length runs past its memory: it must get an Error state and
;; a message, which it writes to stderr and returns as its exit code.
(module
  (import "host" "k8s_lookup" (func $lookup (param i32 i64 i64 i64 i64) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  ;; a bump allocator: honest
  (func (export "malloc") (param $size i32) (result i64)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $at)) (i64.const 32)) (i64.extend_i32_u (local.get $size))))
  (func (export "_start")
    (local $answer i64)
    ;; name: address 65000, length 100000 (past the 64 KiB memory)
    (local.set $answer (call $lookup (i32.const 16)
      (i64.or (i64.shl (i64.const 65000) (i64.const 32)) (i64.const 100000))
      (i64.const 0) (i64.const 0) (i64.const 0)))
    (i32.store (i32.const 0) (i32.wrap_i64 (i64.shr_u (local.get $answer) (i64.const 32))))
    (i32.store (i32.const 4) (i32.wrap_i64 (local.get $answer)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.load (i32.const 16)))))
