;; limits_bigmem.wat: an initial memory of 100 pages (6.25 MiB), over --max-memory 1Mi.
(module
  (memory (export "memory") 100)
  (func (export "_start")))
