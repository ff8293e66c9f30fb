;; regress: a local read twice through lazy stack entries, with constants folded into
;; the adds, gave 70864 instead of -4.
;; run: --invoke k %W
;; expect: i32:-4
(module
  (func (export "k") (result i32) (local i32)
      (local.set 0 (i32.const 70864))
      (i32.add (local.get 0) (i32.const 8)) (i32.add (local.get 0) (i32.const 12)) (i32.sub))
)
