// node_run.mjs: runs a WASI command under Node's node:wasi, for wasi/tests/run.sh to compare
// with elvm. Usage: node --no-warnings node_run.mjs [--dir GUEST=HOST]... [--env K=V]...
//                   -- PROG.wasm [ARGS...]
// The exit status is the guest's (returnOnExit), 134 if it traps.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let i = 0;
for (; i < argv.length && argv[i] !== '--'; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  const eq = value.indexOf('=');
  if (flag === '--dir') preopens[value.slice(0, eq)] = value.slice(eq + 1);
  else if (flag === '--env') env[value.slice(0, eq)] = value.slice(eq + 1);
  else throw new Error(`node_run.mjs: unknown flag ${flag}`);
}
const [file, ...args] = argv.slice(i + 1);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
try {
  process.exitCode = wasi.start(instance);
} catch (e) {
  console.error(`node: trap: ${e.message}`);
  process.exitCode = 134;
}
