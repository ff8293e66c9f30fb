// difftest_node.mjs: the V8 side of the differential tests (fuzz/difftest.py). Runs each
// module as fuzz/difftest_elvm.c does and prints the same canonical transcript (see the
// comment at the top of that file), after a line "### FILE".
//
// usage: node fuzz/difftest_node.mjs FILE.wasm...
//
// V8 does not say the types of imports and exports, and JS values lose them (an f32 and
// an i32 are both Numbers), so a small reader of the type, import, function, global and
// export sections supplies them.
// With DIFFTEST_DUMP=PREFIX, each exported memory is also written to PREFIX.NAME.
import { readFileSync, writeFileSync } from 'node:fs';

const VT = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
const VT_CODE = Object.fromEntries(Object.entries(VT).map(([k, v]) => [v, Number(k)]));

function readModule(bytes) {
  let p = 8;
  const u8 = () => bytes[p++];
  const uleb = () => {
    let r = 0, shift = 0, b;
    do { b = bytes[p++]; r += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return r;
  };
  const name = () => { const n = uleb(); const s = Buffer.from(bytes.subarray(p, p + n)).toString('utf8'); p += n; return s; };
  const limits = () => { const f = u8(); uleb(); if (f & 1) uleb(); };
  const constExpr = () => {
    for (;;) {
      const op = u8();
      if (op === 0x0b) return;
      if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) uleb();
      else if (op === 0x43) p += 4;
      else if (op === 0x44) p += 8;
      else if (op === 0xd0) p++;
      else if (op === 0xfd) { if (uleb() === 12) p += 16; }
    }
  };
  const m = { types: [], funcs: [], globals: [], imports: [], exports: [] };
  while (p < bytes.length) {
    const id = u8(), size = uleb(), end = p + size;
    if (id === 1) {
      for (let n = uleb(); n--;) {
        u8();
        const params = []; for (let k = uleb(); k--;) params.push(VT[u8()]);
        const results = []; for (let k = uleb(); k--;) results.push(VT[u8()]);
        m.types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = uleb(); n--;) {
        const mod = name(), field = name(), kind = u8();
        if (kind === 0) { const t = m.types[uleb()]; m.funcs.push(t); m.imports.push({ mod, field, kind, type: t }); }
        else if (kind === 1) { u8(); limits(); m.imports.push({ mod, field, kind }); }
        else if (kind === 2) { limits(); m.imports.push({ mod, field, kind }); }
        else { const t = VT[u8()]; u8(); m.globals.push(t); m.imports.push({ mod, field, kind }); }
      }
    } else if (id === 3) {
      for (let n = uleb(); n--;) m.funcs.push(m.types[uleb()]);
    } else if (id === 6) {
      for (let n = uleb(); n--;) { m.globals.push(VT[u8()]); u8(); constExpr(); }
    } else if (id === 7) {
      for (let n = uleb(); n--;) { const nm = name(), kind = u8(), idx = uleb(); m.exports.push({ name: nm, kind, idx }); }
    }
    p = end;
  }
  return m;
}

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);

function fmt(t, v) {
  switch (t) {
    case 'i32': return `i32:${v | 0}`;
    case 'i64': return `i64:${BigInt.asIntN(64, v)}`;
    case 'f32': f32[0] = v; return Number.isNaN(v) ? 'f32:nan' : `f32:0x${u32[0].toString(16).padStart(8, '0')}`;
    case 'f64': f64[0] = v; return Number.isNaN(v) ? 'f64:nan' : `f64:0x${u64[0].toString(16).padStart(16, '0')}`;
    case 'funcref': return `funcref:${v === null ? 'null' : 'func'}`;
    case 'externref': return `externref:${v === null || v === undefined ? 'null' : 'obj'}`;
    case 'v128': return `v128:${v.map((l) => (l >>> 0).toString(16).padStart(8, '0')).join('_')}`;
  }
  return '?';
}

// JS cannot take a v128: an import with v128 params goes through a small wasm module
// that passes each v128 on as four i32 lanes (fn receives arrays of four for them).
function v128Trampoline(t, fn) {
  const flat = t.params.flatMap((p) => (p === 'v128' ? ['i32', 'i32', 'i32', 'i32'] : [p]));
  const uleb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
  const vec = (a) => [...uleb(a.length), ...a];
  const sec = (id, body) => [id, ...uleb(body.length), ...body];
  const functype = (ps, rs) => [0x60, ...vec(ps.map((x) => VT_CODE[x])), ...vec(rs.map((x) => VT_CODE[x]))];
  const str = (s) => vec([...Buffer.from(s)]);
  const code = [];
  t.params.forEach((p, i) => {
    if (p === 'v128') for (let l = 0; l < 4; l++) code.push(0x20, ...uleb(i), 0xfd, 0x1b, l);
    else code.push(0x20, ...uleb(i));
  });
  code.push(0x10, 0, 0x0b);
  const body = [0, ...code];
  const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...sec(1, [2, ...functype(flat, t.results), ...functype(t.params, t.results)]),
    ...sec(2, [1, ...str('js'), ...str('f'), 0, 0]),
    ...sec(3, [1, 1]),
    ...sec(7, [1, ...str('f'), 0, 1]),
    ...sec(10, [1, ...vec(body)])]);
  const regroup = (...args) => {
    const out = [];
    let k = 0;
    for (const p of t.params) out.push(p === 'v128' ? args.slice(k, (k += 4)) : args[k++]);
    return fn(...out);
  };
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { js: { f: regroup } }).exports.f;
}

const zero = (t) => (t === 'i64' ? 0n : t === 'funcref' || t === 'externref' ? null : 0);

// V8's trap messages, in elvm's classes (see trap_class in difftest_elvm.c)
function trapClass(e) {
  const msg = String(e && e.message);
  if (e instanceof RangeError && /call stack/i.test(msg)) return 'stack-exhausted';
  if (!(e instanceof WebAssembly.RuntimeError)) return `other:${e && e.name}: ${msg}`;
  if (msg === 'unreachable') return 'unreachable';
  if (/(divide|remainder) by zero/.test(msg)) return 'div-zero';
  if (/divide result unrepresentable/.test(msg)) return 'int-overflow';
  // both a NaN (invalid conversion) and an out-of-range float (integer overflow)
  if (/float unrepresentable/.test(msg)) return 'float-unrepresentable';
  if (/memory access out of bounds|data segment/.test(msg)) return 'memory-oob';
  if (/table index is out of bounds|table access out of bounds|element segment|table.*out of bounds/.test(msg)) return 'table-oob';
  if (/null function|signature mismatch/.test(msg)) return 'indirect-call';
  return `other:${msg}`;
}

function run(file) {
  const out = [];
  const bytes = readFileSync(file);
  let m, mod;
  try {
    m = readModule(bytes);
    mod = new WebAssembly.Module(bytes);
  } catch (e) {
    out.push('instantiate error compile');
    return out;
  }
  const imports = {};
  for (const imp of m.imports) {
    if (imp.kind !== 0 || imp.type.results.includes('v128')) {
      out.push('instantiate error unsupported-import');
      return out;
    }
    const t = imp.type;
    const stub = (...args) => {
      out.push(`import ${imp.mod}.${imp.field}` + t.params.map((pt, i) => ' ' + fmt(pt, args[i])).join(''));
      if (t.results.length === 0) return undefined;
      if (t.results.length === 1) return zero(t.results[0]);
      return t.results.map(zero);
    };
    (imports[imp.mod] ??= {})[imp.field] = t.params.includes('v128') ? v128Trampoline(t, stub) : stub;
  }
  let inst;
  try {
    inst = new WebAssembly.Instance(mod, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) out.push('instantiate error link');
    else if (e instanceof WebAssembly.CompileError) out.push('instantiate error compile');
    else out.push(`instantiate trap ${trapClass(e)}`);
    return out;
  }
  out.push('instantiate ok');
  const ex = inst.exports;
  const hli = typeof ex.hangLimitInitializer === 'function' ? ex.hangLimitInitializer : null;
  for (const e of m.exports) {
    if (e.kind !== 0 || (hli && ex[e.name] === hli)) continue;
    const t = m.funcs[e.idx];
    out.push(`call ${e.name}`);
    if (t.params.includes('v128') || t.results.includes('v128')) {
      out.push('=> skipped v128');
      continue;
    }
    try {
      if (hli) hli();
      const r = ex[e.name](...t.params.map(zero));
      const rs = t.results.length === 1 ? [r] : t.results.length ? Array.from(r) : [];
      out.push('=>' + t.results.map((rt, i) => ' ' + fmt(rt, rs[i])).join(''));
    } catch (err) {
      out.push(`=> trap ${trapClass(err)}`);
    }
  }
  for (const e of m.exports) {
    if (e.kind === 3) {
      const t = m.globals[e.idx];
      out.push(`global ${e.name} ${t === 'v128' ? 'skipped v128' : fmt(t, ex[e.name].value)}`);
    } else if (e.kind === 2) {
      const mem = new Uint8Array(ex[e.name].buffer);
      let h = 2166136261;
      for (let k = 0; k < mem.length; k++) h = Math.imul(h ^ mem[k], 16777619) >>> 0;
      out.push(`memory ${e.name} pages=${mem.length / 65536} fnv=${h.toString(16).padStart(8, '0')}`);
      if (process.env.DIFFTEST_DUMP) writeFileSync(`${process.env.DIFFTEST_DUMP}.${e.name}`, mem);
    }
  }
  return out;
}

for (const file of process.argv.slice(2)) {
  let lines;
  try {
    lines = run(file);
  } catch (e) {
    lines = [`driver error ${e && e.stack}`];
  }
  process.stdout.write(`### ${file}\n${lines.join('\n')}\n`);
}
