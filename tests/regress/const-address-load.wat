;; regress: a constant address folded lazily into a load once pushed the address
;; instead of the loaded value (every clang-built program then trapped).
;; run: --invoke b7 %W
;; expect: i32:40960
(module
  (memory 2)
  (data (i32.const 3408) "\05\00\00\00")
  (func (export "b7") (result i32) i32.const 3408 i32.load i32.const 13 i32.shl)
)
