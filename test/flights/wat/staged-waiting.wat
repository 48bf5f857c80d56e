;; A staged flight that always waits: wave one is the Job "migrate", wave two a ConfigMap and the flight's own
;; object (examples.jetway.dev/v1 Staged "staged", its input) with status.message "waiting for an approval nobody
;; gives". Its FlightStatus is Progressing forever, so it shows whether that holds back the flight's second wave.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "[[{\22apiVersion\22:\22batch/v1\22,\22kind\22:\22Job\22,\22metadata\22:{\22name\22:\22migrate\22},\22spec\22:{\22template\22:{\22spec\22:{\22restartPolicy\22:\22Never\22,\22containers\22:[{\22name\22:\22migrate\22,\22image\22:\22busybox:1.36\22}]}}}}],[{\22apiVersion\22:\22v1\22,\22kind\22:\22ConfigMap\22,\22metadata\22:{\22name\22:\22settings\22},\22data\22:{\22mode\22:\22fast\22}},{\22apiVersion\22:\22examples.jetway.dev/v1\22,\22kind\22:\22Staged\22,\22metadata\22:{\22name\22:\22staged\22},\22spec\22:{},\22status\22:{\22message\22:\22waiting for an approval nobody gives\22}}]]\0a")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 435))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
