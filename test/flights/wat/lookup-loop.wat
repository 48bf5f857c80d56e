;; A flight that calls k8s_lookup 1000 times (for the benchmark's per-lookup cost of the host bridge).
(module
  (import "host" "k8s_lookup" (func $lookup (param i32 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 64) "demo-oneJobbatch/v1")
  (func (export "malloc") (param $size i32) (result i64)
    ;; every answer lands at 4096: the flight never keeps one
    (i64.or (i64.shl (i64.const 4096) (i64.const 32)) (i64.extend_i32_u (local.get $size))))
  (func (export "_start")
    (local $i i32)
    (loop $more
      (drop (call $lookup (i32.const 16)
        (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 8))
        (i64.const 0)
        (i64.or (i64.shl (i64.const 72) (i64.const 32)) (i64.const 3))
        (i64.or (i64.shl (i64.const 75) (i64.const 32)) (i64.const 8))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 1000))))))
