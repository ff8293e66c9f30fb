;; limits_loop.wat: guests that run into elvm run's limits (tests/cli_limits.sh), one per
;; export, called with --invoke.
(module
  (memory (export "memory") 1)
  ;; A loop with no call and no memory access: only the back-edge can be interrupted.
  (func (export "spin")
    (loop $l (br $l)))
  ;; Counts down from n: the loop-heavy body of the --timeout cost measurement.
  (func (export "count") (param $n i64) (result i64)
    (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.mul (local.get $n) (local.get $n))))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $l)))
    (local.get $acc))
  ;; memory.grow's result: the old size in pages, or -1.
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages)))
  ;; Recursion n deep; returns n.
  (func $deep (export "deep") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $deep (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))))
