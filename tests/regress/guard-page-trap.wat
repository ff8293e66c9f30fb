;; regress: with guard pages (the default without fuel), an access past the memory's
;; size faults in hardware and must come back as the trap, with a backtrace, exit 134;
;; the access that fits exactly at the end must still work, also after memory.grow.
;; run: --invoke edge %W
;; expect: i32:0
;; run: --invoke past %W
;; exit: 134
;; run: --invoke grown %W
;; expect: i32:0
;; run: --invoke far %W
;; exit: 134
;; run: --fuel 1000000 --invoke past %W
;; exit: 134
(module
  (memory 1 4)
  (func $inner (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "edge") (result i32) (call $inner (i32.const 65532)))
  (func (export "past") (result i32) (call $inner (i32.const 65533)))
  (func (export "grown") (result i32)
    (drop (memory.grow (i32.const 1)))
    (i32.load (i32.const 131068)))
  (func (export "far") (result i32) (i32.load offset=0xffffffff (i32.const 0xffffffff)))
)
