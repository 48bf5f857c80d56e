;; A flight that writes one byte per fd_write, forever: to stdout, or to stderr when given any argument. Each write
;; is tiny, so only a host that stores bytes, not one object per write, stays small.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $fd i32)
    ;; argc counts the release name: 2 or more means an argument was given
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (local.set $fd (i32.const 1))
    (if (i32.ge_u (i32.load (i32.const 16)) (i32.const 2))
      (then (local.set $fd (i32.const 2))))
    (i32.store8 (i32.const 1024) (i32.const 97))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 1))
    (loop $more
      (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $more))))
