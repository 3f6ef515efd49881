// The builtins a bundle loads only when it uses them, and esbuild's ES views
// of CommonJS modules made once (scripts/bundle.mjs uses both; the test
// test/lazy-builtins.test.ts bundles a module with them).
import { readFileSync, writeFileSync } from 'node:fs'

// Node's start-up snapshot holds fs, path, events, url, util and a few
// more; any other builtin costs a compile of its internal modules on first
// require: child_process 2 ms (with net and dgram), readline and the streams
// 3 ms, fs/promises 2 ms, crypto 2 ms, module 0.3 ms. A bundle requires every module's
// builtins when it loads, although `run` and `ps` use few of them. So each
// of these is a stand-in here: a Proxy that requires the real module when a
// name is first looked up in it, and answers with the real module's. One
// object per module: a getter per export (a closure, its context and an
// accessor each, 109 in the run bundle) was 23 kB of every start's young
// generation, and esbuild's copy of each (__toESM, below) as much again.
// Commander, for one, requires child_process at load time for executable
// subcommands, which mini-run has none of.
export const LAZY_BUILTINS = [
  'child_process', 'crypto', 'dgram', 'fs/promises', 'http', 'https', 'module', 'net', 'os', 'readline', 'readline/promises',
  'stream', 'stream/promises', 'string_decoder', 'timers/promises', 'tty', 'worker_threads', 'zlib',
]
export const LAZY_BUILTIN = 'mini-run.lazy-builtin'
export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const names = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|').replaceAll('/', '\\/')})$`)
    b.onResolve({ filter: names }, (args) =>
      // the stand-in's own require is the real module
      args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    )
    // An import's default is the module itself, as Node's for a builtin;
    // __esModule must not load it (esbuild's helpers ask); LAZY_BUILTIN
    // tells __toESM that no copy is needed. Every other name, and a look at
    // the names (Object.keys, a spread), goes to the real module. A write is
    // refused with a TypeError, as an import's binding refuses it.
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let m; const load = () => (m ??= require('node:${args.path}')); const lazy = Symbol.for('${LAZY_BUILTIN}');
module.exports = new Proxy({}, {
  get: (_, key) => (key === lazy ? true : key === '__esModule' ? undefined : key === 'default' ? load() : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => { const d = Reflect.getOwnPropertyDescriptor(load(), key); return d && { ...d, configurable: true } },
  set: refuse, defineProperty: refuse, deleteProperty: refuse,
});
function refuse(_, key) { throw new TypeError('node:${args.path}: ' + String(key) + ' cannot be changed through the bundle\\'s stand-in'); }`,
      loader: 'js',
    }))
  },
}

// esbuild gives every ES module that imports a CommonJS one (the pull
// file, commander's modules) a copy of it from __toESM: a new object with a
// getter per export, made at every start. They are views of the same
// module, so one per module does: __toESM is wrapped to keep the copy it
// made (by module, and by esbuild's "node mode" flag, which decides the
// copy's default). Paired runs of `run --rm`: 1.3 to 2.3 ms less when the
// stand-ins above were copied too (28 copies of child_process, os and
// fs/promises). A stand-in is now its own view (its default is the module):
// the wrapper gives it back as it is.
const TO_ESM = /var __toESM=\(mod,isNodeMode,(\w+)\)=>/
const TO_ESM_ONCE =
  `var __lazyBuiltin=Symbol.for("${LAZY_BUILTIN}"),__toESMSeen=new WeakMap,__toESM=(mod,isNodeMode)=>{if(mod==null||typeof mod!="object"&&typeof mod!="function")return __toESMCopy(mod,isNodeMode);if(mod[__lazyBuiltin]===!0)return mod;` +
  'let c=__toESMSeen.get(mod);c||__toESMSeen.set(mod,c=[]);return c[isNodeMode?1:0]??=__toESMCopy(mod,isNodeMode)};'
export function toEsmOnce(file) {
  const bundled = readFileSync(file, 'latin1')
  if (!bundled.includes('__toESM(')) return
  const helper = TO_ESM.exec(bundled)
  if (!helper) throw new Error(`${file}: esbuild's __toESM helper is not the one scripts/bundle.mjs wraps (${TO_ESM.source})`)
  const at = helper.index
  // the wrapper goes before the helper's own statement, at the top: both are vars, called only once modules run
  const helpers = bundled.lastIndexOf(';var __', at)
  const start = helpers < 0 ? at : helpers + 1
  writeFileSync(file, bundled.slice(0, start) + TO_ESM_ONCE + bundled.slice(start, at) + `var __toESMCopy=(mod,isNodeMode,${helper[1]})=>` + bundled.slice(at + helper[0].length), 'latin1')
}
