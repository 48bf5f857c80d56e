;; A flight that prints YAML (which yokecd renders as nothing): a Namespace and a ConfigMap holding its input
;; size, so the Namespace is split into a stage of its own and sync waves appear.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: yaml-ns\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  printed: yaml\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 142))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
