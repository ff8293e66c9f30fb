// node_wasi.mjs: runs a WASI command under Node's node:wasi: node --no-warnings bench/node_wasi.mjs prog.wasm args...
// run.py adds --single-threaded-gc: without it Node 20 often crashes (SIGSEGV) at exit once memory grew past ~32 MiB.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --no-warnings bench/node_wasi.mjs prog.wasm [args...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...rest], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
