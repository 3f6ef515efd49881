// The stand-ins scripts/bundle.mjs puts in the bundles for builtins outside
// Node's start-up snapshot (scripts/lazy-builtins.mjs): a module bundled with
// them, as the CLI's are, run in a fresh Node. No root.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { build } from 'esbuild'
// @ts-expect-error: a plain .mjs script without types
import { lazyBuiltins, toEsmOnce } from '../scripts/lazy-builtins.mjs'

const dir = mkdtempSync(join(tmpdir(), 'mini-run-lazy-builtins-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// zlib: not in Node's start-up snapshot, and required by nothing else here
const ENTRY = `
import zlib, { gzipSync, constants } from 'node:zlib'
import * as ns from 'node:zlib'
const loaded = () => process.moduleLoadList.includes('NativeModule zlib')
const before = loaded()
const roundTrip = zlib.gunzipSync(gzipSync(Buffer.from('mini-run'))).toString()
const after = loaded()
// past the bundle's require, which the stand-in answers: the module's own
const real = module.require('node:zlib')
let write
// a write to the stand-in (what the bundle's require gives) is refused, as to an import
try { require('node:zlib').gzipSync = null; write = 'allowed' } catch (err) { write = err.constructor.name }
process.stdout.write(JSON.stringify({
  before, after, roundTrip,
  defaultIsModule: zlib === real,
  namedIsReal: gzipSync === real.gzipSync && constants === real.constants,
  namespace: ns.gzipSync === real.gzipSync && 'gzipSync' in ns && Object.keys(ns).includes('gzipSync'),
  missing: ns.noSuchName === undefined,
  write,
}))
`

describe('a lazy builtin in a bundle (scripts/lazy-builtins.mjs)', () => {
  it('is not loaded until a name of it is used, then gives the real module\'s values, by name, as default and as a namespace', async () => {
    writeFileSync(join(dir, 'entry.mjs'), ENTRY)
    const out = join(dir, 'bundle.cjs')
    await build({ entryPoints: [join(dir, 'entry.mjs')], outfile: out, bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'error', minifyWhitespace: true, minifySyntax: true, plugins: [lazyBuiltins] })
    toEsmOnce(out)
    const r = spawnSync(process.execPath, [out], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({
      before: false, after: true, roundTrip: 'mini-run', defaultIsModule: true, namedIsReal: true, namespace: true, missing: true, write: 'TypeError',
    })
  })
})
