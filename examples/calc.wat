;; calc.wat: a tiny module without WASI, for `elvm run --invoke`.
;;   elvm run --invoke sub build/examples/calc.wasm 3 10      prints i32:-7
;;   elvm run --invoke div_s build/examples/calc.wasm 1 0     traps, exit 134
(module
  (memory (export "memory") 1 100)
  (func $sub (export "sub") (param i32 i32) (result i32)
    (i32.sub (local.get 0) (local.get 1)))
  (func $div_s (export "div_s") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func $add64 (export "add64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func $mul (export "mul") (param f64 f64) (result f64)
    (f64.mul (local.get 0) (local.get 1)))
  (func $half (export "half") (param f32) (result f32)
    (f32.mul (local.get 0) (f32.const 0.5)))
  (func $id_f32 (export "id_f32") (param f32) (result f32) (local.get 0))
  (func $id_f64 (export "id_f64") (param f64) (result f64) (local.get 0))
  (func $divmod (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
  (func $null (export "null") (result funcref) (ref.null func))
  ;; Never returns: for --fuel.
  (func $spin (export "spin") (loop $l (br $l)))
  ;; Grows memory by n pages and returns the old size: for --stats' peak memory.
  (func $grow (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  ;; Traps three calls deep: for the backtrace.
  (func $inner (unreachable))
  (func $middle (call $inner))
  (func $crash (export "crash") (call $middle))
)
