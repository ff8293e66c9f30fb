;; limits_start.wat: a start function that never returns (tests/cli_limits.sh): --timeout
;; must stop it, since the deadline starts before instantiation.
(module
  (func $forever (loop $l (br $l)))
  (func (export "_start"))
  (start $forever))
