;; A flight whose malloc returns an address far outside its memory: the host must refuse to write there.
(module
  (import "host" "k8s_rest_mapping" (func $mapping (param i32 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "malloc") (param $size i32) (result i64)
    (i64.or (i64.shl (i64.const 0x7ffffff0) (i64.const 32)) (i64.extend_i32_u (local.get $size))))
  (func (export "_start")
    (drop (call $mapping (i32.const 16) (i64.const 0) (i64.const 0)))))
