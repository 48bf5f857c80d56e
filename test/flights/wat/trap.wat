;; A flight that crashes at once: the run must fail with a wasm trap, the host must live on.
(module
  (memory (export "memory") 1)
  (func (export "_start") unreachable))
