;; regress: arguments of a host call came from the wrong slots when they were lazy
;; locals or constants (a clang-built program passed garbage stack pointers to WASI).
;; fd_prestat_get on fd 3 without preopens must answer ERRNO_BADF (8) every way.
;; run: --invoke const %W
;; expect: i32:8
;; run: --invoke global %W
;; expect: i32:8
;; run: --invoke local %W
;; expect: i32:8
;; run: --invoke add %W
;; expect: i32:8
;; run: --invoke tee %W
;; expect: i32:8
;; run: --invoke loop %W
;; expect: i32:8
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $pg (param i32 i32) (result i32)))
  (memory 1)
  (global $sp (mut i32) (i32.const 1024))
  (func (export "const") (result i32) (call $pg (i32.const 3) (i32.const 8)))
  (func (export "global") (result i32) (call $pg (i32.const 3) (global.get $sp)))
  (func (export "local") (result i32) (local i32) (local.set 0 (i32.const 3)) (call $pg (local.get 0) (i32.const 8)))
  (func (export "add") (result i32) (call $pg (i32.add (i32.const 1) (i32.const 2)) (i32.const 8)))
  (func (export "tee") (result i32) (local i32) (call $pg (local.tee 0 (i32.const 3)) (i32.const 8)))
  (func (export "loop") (result i32) (local i32) (local.set 0 (i32.const 3))
     (loop $l (result i32) (call $pg (local.get 0) (i32.const 8))))
)
