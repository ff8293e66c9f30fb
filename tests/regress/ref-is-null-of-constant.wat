;; regress (found by difftest, elvm vs V8 and wabt): ref.is_null of a lazy constant
;; (ref.null) read the constant's stack slot, which was never written (vm/compile.c
;; OP_REF_IS_NULL pops with pop_any and uses v.slot), so the answer was whatever the slot
;; held: 0 after an earlier value there, and a wrong `if` arm.
;; run: --invoke stale %W 0
;; expect: i32:1
;; run: --invoke if %W
;; expect: i32:1
;; run: --invoke local %W
;; expect: i32:0
(module
  (func (export "first") (result i32) (ref.is_null (ref.null extern)))
  (func (export "stale") (param i32) (result i32)
    (drop (i32.add (local.get 0) (i32.const 5)))   ;; leaves 5 in the slot ref.is_null reads
    (ref.is_null (ref.null func)))
  (func (export "if") (result i32)
    (drop (i32.add (i32.const 7) (call 0)))
    (if (result i32) (ref.is_null (ref.null extern)) (then (i32.const 1)) (else (i32.const 2))))
  (func (export "local") (result i32) (local funcref)
    (local.set 0 (ref.func 0))
    (ref.is_null (local.get 0)))
  (elem declare func 0)
)
