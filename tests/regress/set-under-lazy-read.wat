;; regress: local.set folded into the producing instruction must not run while a lazy
;; read of the same local is still on the stack (the read must see the old value).
;; run: --invoke f %W 5
;; expect: i32:5
;; expect: i32:6
(module
  (func (export "f") (param i32) (result i32 i32)
    (local.get 0)                                   ;; old value stays on the stack
    (local.set 0 (i32.add (local.get 0) (i32.const 1)))
    (local.get 0))
)
