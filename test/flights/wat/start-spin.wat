;; A module whose wasm `start` function never returns: instantiating it (not running `_start`) spins forever, so
;; only terminating the thread that instantiates it stops it.
(module
  (memory (export "memory") 1)
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "_start")))
