;; A flight that prints 2,000,000 tiny resources (`{"kind":"A"}`, 12 bytes each: 24 MB of JSON) in 20,000 writes of
;; 100: small on stdout, but each object gets jetway's ownership metadata, so the rendered stream would be ~15x larger.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{\22kind\22:\22A\22}")
  (func (export "_start")
    (local $i i32)
    ;; copy the 12-byte object 99 more times after itself
    (loop $fill
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (memory.copy (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 12))) (i32.const 1024) (i32.const 12))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 99))))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 1200))
    (local.set $i (i32.const 0))
    (loop $more
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 20000))))))
