// Runs a bundle of the whole CLI (dist/mini-run-cli.cjs: commander and every
// verb) for the tests that hold the launcher's small bundles against it. The
// bundle is Module.wrap's function, written in by scripts/bundle.mjs for
// the launcher to compile as it is, so `node dist/mini-run-cli.cjs` alone
// runs nothing; this calls it as the launcher does, without a code cache.
// usage: node test/helpers/whole-cli.cjs BUNDLE ARGS... (as `mini-run ARGS...`)
'use strict'
const { readFileSync } = require('node:fs')
const { createRequire } = require('node:module')
const { dirname, resolve } = require('node:path')
const { runInThisContext } = require('node:vm')

const file = resolve(process.argv[2])
// the bundle sees the argv it would have seen run by itself: node, itself, ARGS
process.argv.splice(1, 1)
const module_ = { exports: {} }
const run = runInThisContext(readFileSync(file, 'latin1'), { filename: file })
run.call(module_.exports, module_.exports, createRequire(file), module_, file, dirname(file))
