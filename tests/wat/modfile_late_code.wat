;; modfile_late_code.wat: for tests/cli_modfile.sh. Prints "ready", waits for a line on
;; stdin, then calls $late for the first time, which prints "late". Between the two, the
;; test truncates the module file that elvm has mapped: compiled lazily, $late's body is
;; read from the mapping only then.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ready\n")
  (data (i32.const 8) "late\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $at))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func $late
    (i32.store (i32.const 16) (i32.const 8))
    (i32.store (i32.const 20) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (call $print (i32.const 0) (i32.const 6))
    ;; one read of up to 16 bytes from stdin into 64
    (i32.store (i32.const 32) (i32.const 64))
    (i32.store (i32.const 36) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 24)))
    (call $late)))
