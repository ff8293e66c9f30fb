;; modfile_late_data.wat: for tests/cli_modfile.sh. Prints "ready", waits for a line on
;; stdin, then copies a passive data segment (read from the module's bytes only now,
;; with memory.init) and prints it: "late". Between the two, the test truncates the
;; module file that elvm has mapped.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ready\n")
  (data $late "late\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $at))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (call $print (i32.const 0) (i32.const 6))
    ;; one read of up to 16 bytes from stdin into 64
    (i32.store (i32.const 32) (i32.const 64))
    (i32.store (i32.const 36) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 24)))
    (memory.init $late (i32.const 128) (i32.const 0) (i32.const 5))
    (call $print (i32.const 128) (i32.const 5))))
