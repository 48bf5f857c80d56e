;; A flight that never returns and never calls the host: only terminating its thread stops it.
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))
