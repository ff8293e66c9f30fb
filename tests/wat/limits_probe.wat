;; limits_probe.wat: a WASI command that prints what it was granted, for comparing a run
;; from flags with the same run from a manifest (tests/cli_limits.sh): its args, its
;; environment, each preopened dir (and whether it may create a file there), the fds
;; after them (listening sockets), and what memory.grow(16) gives under --max-memory.
;; Its export read_stdin blocks in fd_read, where no interrupt flag reaches it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $path_unlink_file (param i32 i32 i32) (result i32)))
  ;; never called: there to be denied by an import policy
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 16: iovec; 48: prestat; 56: fd_out; 64: fdstat; 96..127: digits
  ;; 256.. strings; 1024: argv/environ pointers; 4096: their bytes; 40000: a dir name
  (data (i32.const 256) "args:\n")          ;; 6
  (data (i32.const 272) "env:\n")           ;; 5
  (data (i32.const 288) "dir ")             ;; 4
  (data (i32.const 304) " create: ")        ;; 9
  (data (i32.const 320) "\n")               ;; 1
  (data (i32.const 336) "fd ")              ;; 3
  (data (i32.const 352) " filetype ")       ;; 10
  (data (i32.const 368) "grow: ")           ;; 6
  (data (i32.const 384) "elvm_probe_file")  ;; 15

  (func $write (param $p i32) (param $n i32)
    (i32.store (i32.const 16) (local.get $p))
    (i32.store (i32.const 20) (local.get $n))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))

  ;; NUL-separated strings -> one per line
  (func $nul_to_nl (param $p i32) (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $p)))
          (then (i32.store8 (local.get $p) (i32.const 10))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))

  (func $print_i32 (param $v i32)
    (local $p i32) (local $neg i32)
    (local.set $p (i32.const 128))
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then (local.set $neg (i32.const 1))
            (local.set $v (i32.sub (i32.const 0) (local.get $v)))))
    (loop $l
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $l (local.get $v)))
    (if (local.get $neg)
      (then (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (i32.store8 (local.get $p) (i32.const 45))))
    (call $write (local.get $p) (i32.sub (i32.const 128) (local.get $p))))

  (func (export "_start")
    (local $n i32) (local $fd i32) (local $e i32)
    ;; args (argv[0] is the module's path: left out, it differs between runs)
    (call $write (i32.const 256) (i32.const 6))
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $n (i32.load (i32.const 4)))
    (call $nul_to_nl (i32.const 4096) (local.get $n))
    (local.set $e (i32.sub (i32.load (i32.const 1028)) (i32.const 4096))) ;; argv[1] - argv[0]
    (if (i32.gt_u (i32.load (i32.const 0)) (i32.const 1))
      (then (call $write (i32.add (i32.const 4096) (local.get $e))
                         (i32.sub (local.get $n) (local.get $e)))))
    ;; environment
    (call $write (i32.const 272) (i32.const 5))
    (drop (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $environ_get (i32.const 1024) (i32.const 4096)))
    (local.set $n (i32.load (i32.const 4)))
    (call $nul_to_nl (i32.const 4096) (local.get $n))
    (call $write (i32.const 4096) (local.get $n))
    ;; preopened dirs from fd 3, and whether a file can be created in each
    (local.set $fd (i32.const 3))
    (block $dirs_done
      (loop $dirs
        (br_if $dirs_done (call $fd_prestat_get (local.get $fd) (i32.const 48)))
        (local.set $n (i32.load (i32.const 52)))
        (drop (call $fd_prestat_dir_name (local.get $fd) (i32.const 40000) (local.get $n)))
        (call $write (i32.const 288) (i32.const 4))
        (call $write (i32.const 40000) (local.get $n))
        (call $write (i32.const 304) (i32.const 9))
        ;; path_open(CREAT|TRUNC, rights fd_write)
        (local.set $e (call $path_open (local.get $fd) (i32.const 0) (i32.const 384) (i32.const 15)
                         (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 56)))
        (call $print_i32 (local.get $e))
        (call $write (i32.const 320) (i32.const 1))
        (if (i32.eqz (local.get $e))
          (then (drop (call $fd_close (i32.load (i32.const 56))))
                (drop (call $path_unlink_file (local.get $fd) (i32.const 384) (i32.const 15)))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $dirs)))
    ;; fds after the dirs: listening sockets (filetype 6, socket_stream)
    (block $fds_done
      (loop $fds
        (br_if $fds_done (call $fd_fdstat_get (local.get $fd) (i32.const 64)))
        (call $write (i32.const 336) (i32.const 3))
        (call $print_i32 (local.get $fd))
        (call $write (i32.const 352) (i32.const 10))
        (call $print_i32 (i32.load8_u (i32.const 64)))
        (call $write (i32.const 320) (i32.const 1))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $fds)))
    ;; memory.grow(16): -1 over --max-memory
    (call $write (i32.const 368) (i32.const 6))
    (call $print_i32 (memory.grow (i32.const 16)))
    (call $write (i32.const 320) (i32.const 1)))

  ;; Reads stdin once (blocking in the host) and returns the errno.
  (func (export "read_stdin") (result i32)
    (i32.store (i32.const 16) (i32.const 4096))
    (i32.store (i32.const 20) (i32.const 100))
    (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24))))
