;; regress (found by fuzz_exec, UBSan): compiling a call whose function has pushed no value
;; yet took &c->vals[c->nvals] with c->vals still NULL in op_call (vm/compile.c), "applying
;; zero offset to null pointer". Output is right in a plain build; fails under
;; `make regress SANITIZE=1` (-fno-sanitize-recover) until fixed.
;; run: --invoke g %W
;; expect: i32:7
(module
  (func $f (result i32) (i32.const 7))
  (func (export "g") (result i32) (call $f)))
