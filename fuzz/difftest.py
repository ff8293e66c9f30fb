#!/usr/bin/env python3
"""difftest.py: differential testing of elvm against V8 (node) and wabt (spectest-interp).

Generates N random valid modules, each from random bytes seeded by (SEED, index):
  binaryen: `wasm-opt -ttf` (Wasm 2.0 features without reference types, which binaryen
            108's -ttf gets wrong), exports its own hashMemory and hangLimitInitializer;
  elvm:     build/difftest/wasmgen (fuzz/wasmgen.c) with a hang guard and NaN-free bits;
half of each with SIMD (v128 values print as four i32 lanes; V8 cannot call exports with
v128 in their type, so no engine does; binaryen's log-v128 reaches JS through a wasm shim).
Runs every export in order on one instance under
  elvm      build/difftest/difftest_elvm, without and with fuel (two code generators),
  V8        node fuzz/difftest_node.mjs (same canonical transcript),
  wabt      spectest-interp on a command file (imports renamed to spectest.print_*),
and compares: elvm (both) against V8 line by line, and calls, results, traps and logged
values against wabt (wabt prints floats with %f, so floats compare in that format).
A mismatch is saved under build/difftest/mismatch/<seed>-<index>/ with the transcripts and
binaryen's own --fuzz-exec output (a third opinion only: binaryen 108 is wrong at times).

usage: difftest.py [-n N] [--seed S] [--gen binaryen|elvm|both] [--no-wabt] [--keep]
Exit status 1 when any mismatch was found.
"""
import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, 'build', 'difftest')
ELVM = os.path.join(BUILD, 'difftest_elvm')
WASMGEN = os.path.join(BUILD, 'wasmgen')
NODE_DRIVER = os.path.join(ROOT, 'fuzz', 'difftest_node.mjs')
BINARYEN_FEATURES = ['--mvp-features', '--enable-bulk-memory', '--enable-sign-ext',
                     '--enable-nontrapping-float-to-int', '--enable-multivalue',
                     '--enable-mutable-globals']
LOG_TO_SPECTEST = {'log-i32': 'print_i32', 'log-i64': 'print_i64',
                   'log-f32': 'print_f32', 'log-f64': 'print_f64'}


def run(cmd, timeout=30, **kw):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, text=True,
                           errors='replace', **kw)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or '')
        return 'timeout', out, ''


# ---- generation -------------------------------------------------------------------------

def generate(kind, rng, path):
    """Writes a module of `kind` from rng's bytes to path; returns a short description."""
    data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(200, 6000)))
    with open(path + '.in', 'wb') as f:
        f.write(data)
    simd = rng.random() < 0.5
    if kind == 'binaryen':
        rc, _, err = run(['wasm-opt', '-ttf', path + '.in', *BINARYEN_FEATURES,
                          *(['--enable-simd'] if simd else []), '-o', path])
        return ('binaryen-simd' if simd else 'binaryen') if rc == 0 else None
    opts = ['-hang', '-log', '-denan'] + (['-simd'] if simd else [])
    if rng.random() < 0.5:
        opts.append('-ref')
    if rng.random() < 0.2:
        opts.append('-imports')
    rc, _, _ = run([WASMGEN, *opts, path + '.in', path])
    return 'elvm' + ''.join(opts) if rc == 0 else None


# ---- wabt -------------------------------------------------------------------------------

def leb(b, p):
    r = shift = 0
    while True:
        c = b[p]
        p += 1
        r |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return r, p


def enc_leb(v):
    out = bytearray()
    while True:
        c = v & 0x7f
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def spectest_imports(wasm):
    """The module with fuzzing-support.log-* imports renamed to spectest.print_*, or None
    if it imports anything else."""
    p, out = 8, bytearray(wasm[:8])
    while p < len(wasm):
        sid = wasm[p]
        size, q = leb(wasm, p + 1)
        body, end = wasm[q:q + size], q + size
        if sid == 2:
            n, i = leb(body, 0)
            nb = bytearray(enc_leb(n))
            for _ in range(n):
                ml, i = leb(body, i)
                mod = body[i:i + ml].decode(errors='replace')
                i += ml
                fl, i = leb(body, i)
                field = body[i:i + fl].decode(errors='replace')
                i += fl
                kind = body[i]
                ti, j = leb(body, i + 1)
                if mod != 'fuzzing-support' or kind != 0 or field not in LOG_TO_SPECTEST:
                    return None
                newf = LOG_TO_SPECTEST[field].encode()
                nb += enc_leb(8) + b'spectest' + enc_leb(len(newf)) + newf + body[i:j]
                i = j
            body = bytes(nb)
        out += bytes([sid]) + enc_leb(len(body)) + body
        p = end
    return bytes(out)


def wabt_val(tok):
    """elvm's canonical value in spectest-interp's words (i32:%u, f32:%f, ...)."""
    t, v = tok.split(':', 1)
    if t == 'i32':
        return 'i32:%d' % (int(v) & 0xffffffff)
    if t == 'i64':
        return 'i64:%d' % (int(v) & 0xffffffffffffffff)
    if t in ('f32', 'f64'):
        if v == 'nan':
            return t + ':nan'
        bits = int(v, 16)
        x = struct.unpack('<f', struct.pack('<I', bits))[0] if t == 'f32' else \
            struct.unpack('<d', struct.pack('<Q', bits))[0]
        return '%s:%f' % (t, x)
    if t == 'funcref':
        return 'funcref:0' if v == 'null' else 'funcref:*'
    return 'externref:0' if v == 'null' else 'externref:*'


def wabt_trap_class(msg):
    rules = [('unreachable', 'unreachable'), ('divide by zero', 'div-zero'),
             ('integer overflow', 'int-overflow'), ('invalid conversion', 'invalid-conversion'),
             ('call stack exhausted', 'stack-exhausted'), ('memory', 'memory-oob'),
             ('undefined table index', 'table-oob'),
             ('uninitialized table element', 'indirect-call'),
             ('signature mismatch', 'indirect-call'), ('table', 'table-oob')]
    for pat, cls in rules:
        if pat in msg:
            return cls
    return 'other:' + msg


def elvm_to_wabt(transcript):
    """The lines spectest-interp should print for elvm's transcript: host calls and
    '<name> => results' or '<name> => trap CLASS'."""
    out, name = [], None
    for line in transcript:
        if line.startswith('call '):
            name = line[5:]
        elif line == '=> skipped v128':
            continue
        elif line.startswith('import '):
            parts = line.split()
            field = parts[1].split('.', 1)[1]
            out.append('host %s(%s)' % (LOG_TO_SPECTEST.get(field, field),
                                        ', '.join(wabt_val(v) for v in parts[2:])))
        elif line.startswith('=> trap '):
            out.append('%s => trap %s' % (name, line[8:]))
        elif line.startswith('=>'):
            res = ', '.join(wabt_val(v) for v in line[2:].split())
            out.append('%s =>%s' % (name, ' ' + res if res else ''))
    return out


def run_wabt(path, wasm, exports, has_hli, workdir):
    """spectest-interp's transcript in elvm_to_wabt's words, or None if not applicable."""
    renamed = spectest_imports(wasm)
    if renamed is None:
        return None
    mod = os.path.join(workdir, 'wabt.wasm')
    with open(mod, 'wb') as f:
        f.write(renamed)
    cmds = [{'type': 'module', 'line': 1, 'filename': 'wabt.wasm'}]
    for name, params in exports:
        # spectest-interp wants the keys in wast2json's order
        if has_hli:
            cmds.append({'type': 'action', 'line': len(cmds) + 1,
                         'action': {'type': 'invoke', 'field': 'hangLimitInitializer', 'args': []},
                         'expected': []})
        cmds.append({'type': 'action', 'line': len(cmds) + 1,
                     'action': {'type': 'invoke', 'field': name,
                                'args': [{'type': t, 'value': 'null' if t.endswith('ref') else '0'}
                                         for t in params]},
                     'expected': []})
    with open(os.path.join(workdir, 'wabt.json'), 'w') as f:
        json.dump({'source_filename': 'wabt.wast', 'commands': cmds}, f)
    # 180 s: a module with a 4 GiB memory took wabt 20 s on a busy machine, and over 60 s
    # on a busier one (seed 400 module 3927, as seed 201 module 3017 before)
    rc, out, err = run(['spectest-interp', 'wabt.json'], timeout=180, cwd=workdir)
    if rc == 'timeout':
        return ['timeout']
    lines = []
    for line in (out + err).splitlines():
        m = re.match(r'^called host spectest\.(\w+)\((.*)\) =>$', line)
        if m:
            lines.append('host %s(%s)' % (m.group(1), m.group(2).replace('-nan', 'nan')))
            continue
        m = re.match(r'^(.*?)\((.*)\) =>(?: (.*))?$', line)
        if m:
            name, res = m.group(1), m.group(3) or ''
            if name == 'hangLimitInitializer' and has_hli:
                continue
            if res.startswith('error: '):
                lines.append('%s => trap %s' % (name, wabt_trap_class(res[7:])))
            else:
                lines.append('%s =>%s' % (name, ' ' + res.replace('-nan', 'nan') if res else ''))
            continue
        if 'unexpected trap' in line or re.match(r'^\d+/\d+ tests passed', line):
            continue
        lines.append('wabt: ' + line)
    return lines


def wabt_equal(want, got):
    if len(want) != len(got):
        return False
    for w, g in zip(want, got):
        if w == g:
            continue
        # references: wabt prints an index, elvm only null or not
        pat = re.escape(w).replace(r'funcref:\*', r'funcref:[1-9]\d*').replace(
            r'externref:\*', r'externref:[1-9]\d*')
        if not re.fullmatch(pat, g):
            return False
    return True


def nan_lanes(a, b):
    """True if v128 tokens a and b differ only in lanes that are NaNs in both, as f32x4
    lanes or as f64x2 halves: SIMD float results whose NaN bits are nondeterministic
    (binaryen 108's --denan does not reach SIMD, so this is the check for v128)."""
    if not (a.startswith('v128:') and b.startswith('v128:')):
        return False
    la = [int(x, 16) for x in a[5:].split('_')]
    lb = [int(x, 16) for x in b[5:].split('_')]
    f32nan = lambda x: (x & 0x7fffffff) > 0x7f800000
    f64nan = lambda hi, lo: ((hi & 0x7fffffff) << 32 | lo) > 0x7ff0000000000000
    for h in (0, 2):  # each 64-bit half: lanes h (low word) and h+1 (high word)
        if la[h:h + 2] == lb[h:h + 2]:
            continue
        if f64nan(la[h + 1], la[h]) and f64nan(lb[h + 1], lb[h]):
            continue
        for k in (h, h + 1):
            if la[k] != lb[k] and not (f32nan(la[k]) and f32nan(lb[k])):
                return False
    return True


def v8_equal(elvm, v8):
    """True if the transcripts agree, 'nan' if they differ only in v128 NaN lanes, else
    False. V8 says "float unrepresentable in integer range" both for a NaN (invalid
    conversion) and for a float out of range (integer overflow): its class matches either."""
    if len(elvm) != len(v8):
        return False
    nan = False
    for e, v in zip(elvm, v8):
        if e == v:
            continue
        if v.endswith('trap float-unrepresentable') and \
                e in (v[:-len('float-unrepresentable')] + 'int-overflow',
                      v[:-len('float-unrepresentable')] + 'invalid-conversion'):
            continue
        te, tv = e.split(), v.split()
        if len(te) == len(tv) and all(x == y or nan_lanes(x, y) for x, y in zip(te, tv)):
            nan = True
            continue
        return False
    return 'nan' if nan else True


# ---- module exports (for wabt's command file) ----------------------------------------------

VT = {0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref',
      0x6f: 'externref'}


def func_exports(wasm):
    """[(name, param types)] of exported functions, in export order."""
    p, types, funcs, exports = 8, [], [], []
    while p < len(wasm):
        sid = wasm[p]
        size, q = leb(wasm, p + 1)
        body, p = wasm[q:q + size], q + size
        i = 0
        if sid in (1, 2, 3, 7):
            n, i = leb(body, 0)
        if sid == 1:
            for _ in range(n):
                i += 1
                k, i = leb(body, i)
                params = [VT.get(b, '?') for b in body[i:i + k]]
                i += k
                k, i = leb(body, i)
                i += k
                types.append(params)
        elif sid == 2:
            for _ in range(n):
                for _ in range(2):
                    ln, i = leb(body, i)
                    i += ln
                kind = body[i]
                i += 1
                if kind == 0:
                    ti, i = leb(body, i)
                    funcs.append(types[ti])
                else:
                    return None  # difftest modules import functions only
        elif sid == 3:
            for _ in range(n):
                ti, i = leb(body, i)
                funcs.append(types[ti])
        elif sid == 7:
            for _ in range(n):
                ln, i = leb(body, i)
                name = body[i:i + ln].decode(errors='replace')
                i += ln
                kind = body[i]
                idx, i = leb(body, i + 1)
                if kind == 0:
                    exports.append((name, funcs[idx]))
    return exports


# ---- main ---------------------------------------------------------------------------------

def third_opinion(path):
    rc, out, err = run(['wasm-opt', path, *BINARYEN_FEATURES, '--enable-reference-types',
                        '--enable-simd', '--fuzz-exec-before', '-q'], timeout=60)
    return out + err


def run_node(paths):
    """{path: V8 transcript} from one node process (per module again if it fails)."""
    rc, out, err = run(['node', NODE_DRIVER] + paths, timeout=900)
    res, cur = {}, None
    for line in out.splitlines():
        if line.startswith('### '):
            cur = line[4:]
            res[cur] = []
        elif cur:
            res[cur].append(line)
    if rc != 0:  # a crash or timeout cuts the last transcript short: redo it alone
        res.pop(cur, None)
    for p in paths:
        if p not in res:
            rcn, on, en = run(['node', NODE_DRIVER, p], timeout=120)
            res[p] = on.splitlines()[1:] if rcn == 0 else ['node failed %s %s' % (rcn, en[-300:])]
    return res


def run_elvm(path, fuel):
    # generous: hashing a memory grown to 4 GiB takes seconds, and more on a loaded machine
    # (seed 101 module 6507 went over 30 s at nice 19 and matched V8 when rerun)
    rc, out, err = run([ELVM] + (['--fuel'] if fuel else []) + [path], timeout=180)
    return out.splitlines() + ([] if rc == 0 else ['exit %s %s' % (rc, err.strip()[-300:])])


def compare(path, node, use_wabt, workdir):
    """Runs elvm (and wabt) on path and compares with V8's transcript `node`.
    Returns (problems, transcripts)."""
    with open(path, 'rb') as f:
        wasm = f.read()
    elvm, elvmf = run_elvm(path, False), run_elvm(path, True)
    problems = []
    eq = v8_equal(elvm, node)
    if not eq:
        problems.append('v8')
    elif eq == 'nan':
        problems.append('v8-nan-lanes')
    if elvmf != elvm:
        problems.append('fuel')
    wabt = want = None
    if use_wabt and elvm[:1] == ['instantiate ok']:
        exports = func_exports(wasm)
        if exports is not None:
            hli = any(n == 'hangLimitInitializer' for n, _ in exports)
            skipped = {elvm[k - 1][5:] for k, l in enumerate(elvm) if l == '=> skipped v128'}
            calls = [(n, p) for n, p in exports
                     if not (hli and n == 'hangLimitInitializer') and n not in skipped]
            wabt = run_wabt(path, wasm, calls, hli, workdir)
        if wabt is not None:
            want = elvm_to_wabt(elvm)
            if not wabt_equal(want, wabt):
                problems.append('wabt')
    return problems, {'elvm': elvm, 'elvm-fuel': elvmf, 'v8': node, 'wabt': wabt,
                      'wabt-expected': want}


def denan(path, out):
    """binaryen's DeNaN pass: NaNs become 0 wherever they could appear."""
    rc, _, _ = run(['wasm-opt', path, *BINARYEN_FEATURES, '--enable-reference-types',
                    '--enable-simd', '--denan', '-o', out], timeout=60)
    return rc == 0 and run(['wasm-validate', out])[0] == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-n', type=int, default=200)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--gen', choices=['binaryen', 'elvm', 'both'], default='both')
    ap.add_argument('--no-wabt', action='store_true')
    ap.add_argument('--keep', action='store_true', help='keep every module in build/difftest/work')
    ap.add_argument('--batch', type=int, default=40, help='modules per node process')
    args = ap.parse_args()

    # a driver older than the library would test an old vm (it happened): refuse
    lib = os.path.join(ROOT, 'build', 'libelvm.a')
    if not os.path.exists(ELVM) or (os.path.exists(lib) and
                                    os.path.getmtime(ELVM) < os.path.getmtime(lib)):
        print('difftest: %s is missing or older than %s: run `make difftest-tools` (or use '
              '`make difftest`)' % (ELVM, lib), file=sys.stderr)
        return 2

    # one work folder per seed, so that runs with different seeds can go side by side
    work = os.path.join(BUILD, 'work-%d' % args.seed)
    mismatch_dir = os.path.join(BUILD, 'mismatch')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(mismatch_dir, exist_ok=True)
    stats = {'modules': 0, 'skipped': 0, 'calls': 0, 'traps': 0, 'wabt': 0,
             'mismatch_v8': 0, 'mismatch_fuel': 0, 'mismatch_wabt': 0, 'explained_nan': 0,
             'instantiate_failed': 0}
    t0 = time.time()
    index = 0
    while index < args.n:
        batch = []
        for _ in range(min(args.batch, args.n - index)):
            kind = args.gen if args.gen != 'both' else ('binaryen' if index % 2 == 0 else 'elvm')
            rng = random.Random('%d-%d' % (args.seed, index))
            path = os.path.join(work, 'm%d.wasm' % index)
            desc = generate(kind, rng, path)
            if desc:
                batch.append((index, path, desc))
            else:
                stats['skipped'] += 1
            index += 1
        v8 = run_node([p for _, p, _ in batch])
        for i, path, desc in batch:
            problems, tr = compare(path, v8[path], not args.no_wabt, work)
            elvm = tr['elvm']
            stats['modules'] += 1
            stats['calls'] += sum(1 for l in elvm if l.startswith('call '))
            stats['traps'] += sum(1 for l in elvm if l.startswith('=> trap'))
            stats['wabt'] += tr['wabt'] is not None
            if elvm[:1] != ['instantiate ok']:
                stats['instantiate_failed'] += 1
            explained = None
            if problems == ['v8-nan-lanes']:
                explained = 'nan'
                stats['explained_nan'] += 1
            elif problems and 'fuel' not in problems and '-denan' not in desc:
                # NaN signs and payloads are nondeterministic (spec 4.3.3): if the engines
                # agree once binaryen's DeNaN pass removed every NaN, that was the cause.
                dn = path + '.denan.wasm'
                if denan(path, dn):
                    p2, _ = compare(dn, run_node([dn])[dn], not args.no_wabt, work)
                    if not p2:
                        explained = 'nan'
                        stats['explained_nan'] += 1
            if problems and not explained:
                for p in problems:
                    stats['mismatch_' + ('v8' if p == 'v8-nan-lanes' else p)] += 1
            if problems:
                d = os.path.join(mismatch_dir, '%s%d-%d' % ('nan-' if explained else '', args.seed, i))
                os.makedirs(d, exist_ok=True)
                shutil.copy(path, os.path.join(d, 'module.wasm'))
                shutil.copy(path + '.in', os.path.join(d, 'input.bin'))
                with open(os.path.join(d, 'report.txt'), 'w') as f:
                    f.write('generator: %s\nmismatch: %s\nexplained: %s\n'
                            % (desc, ' '.join(problems), explained or 'no'))
                for name, lines in tr.items():
                    with open(os.path.join(d, name + '.txt'), 'w') as f:
                        f.write('\n'.join(lines or []) + '\n')
                with open(os.path.join(d, 'binaryen-fuzz-exec.txt'), 'w') as f:
                    f.write(third_opinion(path))
                print('%s %s (%s, %s)' % ('explained (NaN bits)' if explained else 'MISMATCH', d,
                                          desc, ' '.join(problems)), flush=True)
            if not args.keep:
                for ext in ('', '.in', '.denan.wasm'):
                    try:
                        os.unlink(path + ext)
                    except OSError:
                        pass
        print('difftest: %d/%d modules, %.0f s, %s' % (index, args.n, time.time() - t0,
                                                      json.dumps(stats)), flush=True)
    ok = stats['mismatch_v8'] + stats['mismatch_fuel'] + stats['mismatch_wabt'] == 0
    print('difftest: %s' % ('no unexplained mismatches' if ok else
                            'MISMATCHES in build/difftest/mismatch'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
