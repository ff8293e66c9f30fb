;; regress: v128 values through the compiler's slot machinery: each v128 takes two slots,
;; so locals, lazy local reads, block results, branch copies, loop params, select, calls
;; (direct, indirect, multi-value), globals and returns must move both. Each export
;; answers 1 when its v128 came out right.
;; run: --invoke call_mix %W
;; expect: i32:1
;; run: --invoke call_ind %W
;; expect: i32:1
;; run: --invoke locals %W
;; expect: i32:1
;; run: --invoke swap_lazy %W
;; expect: i32:1
;; run: --invoke tee %W
;; expect: i32:1
;; run: --invoke selfop %W
;; expect: i32:1
;; run: --invoke block_br %W
;; expect: i32:1
;; run: --invoke br_table %W
;; expect: i32:1
;; run: --invoke loop_params %W
;; expect: i32:1
;; run: --invoke if_params %W
;; expect: i32:1
;; run: --invoke select %W
;; expect: i32:1
;; run: --invoke globals %W
;; expect: i32:1
;; run: --invoke ret_mid %W
;; expect: i32:1
;; run: --invoke ret_multi %W
;; expect: i32:1
;; run: --invoke mem %W
;; expect: i32:1
;; run: --invoke replace_set %W
;; expect: i32:1
;; run: --invoke const_set %W
;; expect: i32:1
;; run: --invoke shift_const %W
;; expect: i32:1
(module
  (global $g (mut v128) (v128.const i32x4 1 2 3 4))
  (global $gi v128 (v128.const i64x2 -1 7))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $mix $id)
  (func $eq (param v128 v128) (result i32) (i32x4.all_true (i32x4.eq (local.get 0) (local.get 1))))

  (type $tmix (func (param i32 v128 f64 v128) (result v128 i32 v128)))
  (func $mix (type $tmix)
    (local.get 3) (local.get 0) (i32x4.add (local.get 1) (i32x4.splat (i32.trunc_f64_s (local.get 2)))))
  (func $id (param v128) (result v128) (local.get 0))
  (func (export "call_mix") (result i32)
    (local v128 v128)
    (call $mix (i32.const 5) (v128.const i32x4 10 20 30 40) (f64.const 2.5) (v128.const i32x4 7 8 9 10))
    (local.set 0)
    (if (i32.ne (i32.const 5)) (then (return (i32.const 0))))
    (local.set 1)
    (call $eq (i32x4.sub (local.get 0) (local.get 1)) (v128.const i32x4 5 14 23 32)))
  (func (export "call_ind") (result i32)
    (call $eq (call_indirect (param v128) (result v128) (v128.const i32x4 1 1 1 1) (i32.const 1))
              (v128.const i32x4 1 1 1 1)))

  (func $locals (param v128 v128) (result v128)
    (local v128)
    (local.set 2 (local.get 0))
    (local.set 0 (local.get 1))
    (local.set 1 (local.get 2))
    (i32x4.sub (local.get 0) (local.get 1)))
  (func (export "locals") (result i32)
    (call $eq (call $locals (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40))
              (v128.const i32x4 9 18 27 36)))
  ;; the lazy read of local 0 must see its value from before the local.set
  (func $swap_lazy (param v128 v128) (result v128)
    (local.get 0)
    (local.get 1) (local.set 0)
    (local.get 0)
    (i32x4.sub))
  (func (export "swap_lazy") (result i32)
    (call $eq (call $swap_lazy (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40))
              (v128.const i32x4 -9 -18 -27 -36)))
  (func $tee (param v128) (result v128)
    (i32x4.add (local.tee 0 (i32x4.add (local.get 0) (local.get 0))) (local.get 0)))
  (func (export "tee") (result i32)
    (call $eq (call $tee (v128.const i32x4 1 2 3 4)) (v128.const i32x4 4 8 12 16)))
  ;; the result retargeted to the local it reads
  (func $selfop (param v128) (result v128)
    (local.set 0 (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get 0) (local.get 0)))
    (local.get 0))
  (func (export "selfop") (result i32)
    (call $eq (call $selfop (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
              (v128.const i8x16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0)))

  (func $block_br (param i32) (result v128)
    (local v128)
    (block $b (result v128)
      (local.set 1 (v128.const i32x4 9 9 9 9))
      (block $c (result v128)
        (local.get 1)
        (br_if $b (local.get 1) (i32.eqz (local.get 0)))
        (drop)
        (br $b (i32x4.splat (i32.const 3))))))
  (func (export "block_br") (result i32)
    (i32.and (call $eq (call $block_br (i32.const 0)) (v128.const i32x4 9 9 9 9))
             (call $eq (call $block_br (i32.const 1)) (v128.const i32x4 3 3 3 3))))
  (func $br_table (param i32) (result v128)
    (block $a (result v128)
      (block $b (result v128)
        (block $c (result v128)
          (br_table $a $b $c (v128.const i32x4 1 2 3 4) (local.get 0)))
        (i32x4.add (v128.const i32x4 100 100 100 100)))
      (i32x4.add (v128.const i32x4 1000 1000 1000 1000))))
  (func (export "br_table") (result i32)
    (i32.and
      (i32.and (call $eq (call $br_table (i32.const 0)) (v128.const i32x4 1 2 3 4))
               (call $eq (call $br_table (i32.const 1)) (v128.const i32x4 1001 1002 1003 1004)))
      (i32.and (call $eq (call $br_table (i32.const 2)) (v128.const i32x4 1101 1102 1103 1104))
               (call $eq (call $br_table (i32.const 9)) (v128.const i32x4 1101 1102 1103 1104)))))
  (func $loop_params (param i32) (result v128)
    (v128.const i32x4 0 0 0 0)
    (local.get 0)
    (loop $l (param v128 i32) (result v128)
      (local.set 0)
      (i32x4.add (v128.const i32x4 1 2 3 4))
      (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))
      (local.get 0)
      (br_if $l)
      (drop)))
  (func (export "loop_params") (result i32)
    (call $eq (call $loop_params (i32.const 3)) (v128.const i32x4 3 6 9 12)))
  (func $if_params (param i32) (result v128 i32)
    (v128.const f32x4 1 2 3 4) (i32.const 7)
    (if (param v128 i32) (result v128 i32) (local.get 0)
      (then (i32.add (i32.const 1)))
      (else (drop) (f32x4.neg) (i32.const 0))))
  (func (export "if_params") (result i32)
    (local i32)
    (call $if_params (i32.const 1))
    (local.set 0)
    (call $eq (v128.const f32x4 1 2 3 4))
    (i32.and (i32.eq (local.get 0) (i32.const 8)))
    (call $if_params (i32.const 0))
    (local.set 0)
    (call $eq (v128.const f32x4 -1 -2 -3 -4))
    (i32.and (i32.eqz (local.get 0)))
    (i32.and))
  (func (export "select") (result i32)
    (local i32)
    (call $eq (select (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8) (local.get 0))
              (v128.const i32x4 5 6 7 8))
    (call $eq (select (result v128) (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8) (i32.const 1))
              (v128.const i32x4 1 2 3 4))
    (i32.and))
  (func (export "globals") (result i32)
    (global.set $g (i32x4.add (global.get $g) (global.get $gi)))
    (call $eq (global.get $g) (v128.const i32x4 0 1 10 4)))
  (func $ret_mid (param i32) (result v128)
    (block (br_if 0 (local.get 0)) (return (v128.const i32x4 1 2 3 4)))
    (v128.const i32x4 5 6 7 8))
  (func (export "ret_mid") (result i32)
    (i32.and (call $eq (call $ret_mid (i32.const 0)) (v128.const i32x4 1 2 3 4))
             (call $eq (call $ret_mid (i32.const 1)) (v128.const i32x4 5 6 7 8))))
  (func $ret_multi (result v128 v128 i64)
    (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8) (i64.const 9))
  (func (export "ret_multi") (result i32)
    (local i64 v128)
    (call $ret_multi)
    (local.set 0)
    (local.set 1)
    (call $eq (v128.const i32x4 1 2 3 4))
    (call $eq (local.get 1) (v128.const i32x4 5 6 7 8))
    (i32.and)
    (i32.and (i64.eq (local.get 0) (i64.const 9))))
  (func (export "mem") (result i32)
    (v128.store offset=16 (i32.const 100) (v128.const i32x4 1 2 3 4))
    (call $eq (v128.load offset=12 (i32.add (i32.const 100) (i32.const 4))) (v128.const i32x4 1 2 3 4)))
  (func $replace_set (param v128 i32) (result v128)
    (local.set 0 (i32x4.replace_lane 2 (local.get 0) (local.get 1)))
    (local.get 0))
  (func (export "replace_set") (result i32)
    (call $eq (call $replace_set (v128.const i32x4 1 2 3 4) (i32.const 99)) (v128.const i32x4 1 2 99 4)))
  (func (export "const_set") (result i32) (local v128)
    (local.set 0 (v128.const i32x4 11 12 13 14))
    (call $eq (local.get 0) (v128.const i32x4 11 12 13 14)))
  (func (export "shift_const") (result i32)
    (call $eq (i32x4.shl (v128.const i32x4 1 2 3 4) (i32.const 33)) (v128.const i32x4 2 4 6 8)))
)
