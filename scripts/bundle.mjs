// Bundle the CLI into dist/mini-run-cli.cjs and one bundle per verb, behind the launcher
// dist/mini-run.cjs (src/cli/launcher.cts), and write its V8 code cache.
//
// Why: a container runtime's start-up is its hot path. Node's ESM loader
// resolves, reads and links every module file on each start, and loads every
// builtin a module names eagerly; one CommonJS file loads each builtin when
// the module that uses it first runs, and modules imported with import()
// run only when imported. The unbundled build in dist/ (from tsc) stays the
// library entry point.
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, chmodSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import { build, transform } from 'esbuild'
import { lazyBuiltins, toEsmOnce } from './lazy-builtins.mjs'

// The build's third-party parsers (src/build/vendor.ts) go to a file of
// their own, required by the bundle only when `build` or `lint` runs: the
// other verbs' start-up does not read their 150 kB. The same for compose's
// (src/compose/vendor.ts: yaml, the schema validator).
const vendors = {
  name: 'vendors',
  setup(b) {
    b.onResolve({ filter: /\/vendor\.js$/ }, (args) => {
      const target = resolvePath(args.resolveDir, args.path)
      for (const part of ['build', 'compose']) {
        if (target.endsWith(`/src/${part}/vendor.js`)) return { path: `./mini-run-${part}-vendor.cjs`, external: true }
      }
      return undefined
    })
  },
}

// `run` of an image the store lacks pulls it (src/cli/pull-for-run.ts): the
// registry client and the layer unpacker (fzstd, the tar reader), 60 kB of
// the run bundle that a run of a stored image never uses. They go to
// dist/mini-run-pull.cjs, which the run bundle requires only when it must
// pull, and so does the layer ingest the run bundle's store would otherwise
// carry (store-layer-ingest.ts imports it on the first unpack, which `run`
// never does itself: its pull is the pull file's, with that file's store).
// What the two files share (errors, store, log level) each has a copy of:
// pull-for-run.ts passes only data across.
const pullPart = {
  name: 'pull-part',
  setup(b) {
    const moved = ['/src/cli/pull-for-run.js', '/src/image/ingest-layer.js', '/src/image/ingest-in-userns.js']
    b.onResolve({ filter: /\/(pull-for-run|ingest-layer|ingest-in-userns)\.js$/ }, (args) => {
      const target = resolvePath(args.resolveDir, args.path)
      return moved.some((m) => target.endsWith(m)) ? { path: 'mini-run-pull', namespace: 'pull-part' } : undefined
    })
    // A stand-in that requires the file: the modules import() these, and
    // import() of a file esbuild leaves outside stays import(), which the
    // launcher's vm.Script cannot run; a bundled module's import() becomes
    // a require() when it runs.
    b.onLoad({ filter: /.*/, namespace: 'pull-part' }, () => ({ contents: "module.exports = require('./mini-run-pull.cjs')", loader: 'js' }))
    b.onResolve({ filter: /^\.\/mini-run-pull\.cjs$/, namespace: 'pull-part' }, (args) => ({ path: args.path, external: true }))
  },
}

// The Compose Specification's schema, compiled once here: ajv's standalone
// mode writes the validator's code, which the compose vendor file ships in
// place of src/compose/schema-validator.ts (which compiles the schema at
// every start: ~200 ms).
const standaloneValidator = {
  name: 'standalone-validator',
  setup(b) {
    b.onLoad({ filter: /\/src\/compose\/schema-validator\.ts$/ }, async () => {
      const { Ajv } = await import('ajv')
      const { default: standaloneCode } = await import('ajv/dist/standalone/index.js')
      const schema = JSON.parse(readFileSync('src/compose/schema/compose-spec.json', 'utf8'))
      const options = { allErrors: true, strict: false, validateSchema: false }
      const ajv = new Ajv({ ...options, code: { source: true, esm: true } })
      ajv.addSchema(schema)
      return { contents: standaloneCode(ajv, { validateCompose: schema.$id }), loader: 'js', resolveDir: 'src/compose' }
    })
  },
}

// Whitespace and syntax minified, names kept: half the bytes to read at
// every start (0.57 MB -> 0.33 MB); stack traces keep function names.
const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true, minifySyntax: true }

// The default seccomp profile's program for Docker's default capabilities,
// one per architecture with a syscall table, by the profile's JSON, compiled
// here by the code that would compile it at every start: tsc's build of
// src/ (npm run build runs tsc first; a dist/ older than src/ stops here).
const seccompPrecompiled = await (async () => {
  for (const file of ['seccomp-profile', 'seccomp-bpf', 'seccomp-syscalls', 'capabilities']) {
    if (statSync(`src/runtime/spec/${file}.ts`).mtimeMs > statSync(`dist/runtime/spec/${file}.js`).mtimeMs) {
      throw new Error(`dist/runtime/spec/${file}.js is older than its source: run tsc (npm run build) first`)
    }
  }
  const { defaultSeccompProfile } = await import('../dist/runtime/spec/seccomp-profile.js')
  const { compileSeccomp } = await import('../dist/runtime/spec/seccomp-bpf.js')
  const { DOCKER_DEFAULT_CAPABILITIES } = await import('../dist/runtime/spec/capabilities.js')
  const programs = {}
  for (const arch of ['x64', 'arm64']) {
    const profile = defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES, arch)
    programs[JSON.stringify(profile)] = compileSeccomp(profile).toString('base64')
  }
  // seccomp-bpf.ts reads them as lines: JSON.stringify writes no raw newline, base64 none
  if (Object.entries(programs).flat().some((text) => text.includes('\n'))) throw new Error('a precompiled seccomp entry has a newline')
  return programs
})()

// import.meta.url of a CommonJS bundle: its file's URL. A path of only
// these characters is its own URL's path (pathToFileURL would give the same
// string); any other goes through node:url, whose first use costs 0.2-0.4 ms
// of every start.
const BUNDLE_URL = "const __bundleUrl = /^[\\w./-]+$/.test(__filename) ? 'file://' + __filename : require('node:url').pathToFileURL(__filename).href;"

const cliBundle = {
  ...common,
  // a native addon, and node-tar (only `load` of a tar needs it, and its
  // CommonJS build is one file): resolved at run time from node_modules
  external: ['ffi-rs', '@yuuang/*', 'tar'],
  // src/ is ESM; in this CommonJS bundle import.meta.url is the bundle's URL
  define: { 'import.meta.url': '__bundleUrl', SECCOMP_PRECOMPILED_TEXT: JSON.stringify(Object.entries(seccompPrecompiled).flat().join('\n')) },
  banner: { js: BUNDLE_URL },
  plugins: [lazyBuiltins, vendors],
}
// A running mini-run maps the bundle it runs (native/map-file.c): a file
// rewritten in place would change under it, or end before a page it has
// yet to read (SIGBUS), and one started mid-build would map a file the
// steps below have yet to finish. So every file here is written as
// FILE.new and all are renamed over their FILEs once the last check has
// passed, the launcher last: the old files live on for whoever opened
// them, every name always holds a whole file, and a build that fails
// leaves the old set as it was.
const staged = (file) => `${file}.new`
const outputs = []
const stage = (file) => (outputs.push(file), staged(file))
for (const name of readdirSync('dist')) if (name.endsWith('.cjs.new')) rmSync(`dist/${name}`, { force: true })
await build({ ...cliBundle, entryPoints: ['src/cli/main.ts'], outfile: stage('dist/mini-run-cli.cjs') })
// A foreground `run` whose flags the launcher could parse (src/cli/run-line.ts):
// a third of the CLI's code, without commander and the other verbs.
// In the run bundle the run path's import() calls are static imports. They
// are import() for the whole CLI, where a verb loads only what it uses; a
// module esbuild must load on demand is wrapped in an init function (with
// everything it imports), run at its first import(). The run bundle uses
// that whole path every time: a hundred modules' init functions and the promise
// hops between them were 1.4 ms of each start (interleaved medians, 30
// rounds: 67.3 -> 65.9 ms), and its code cache is 7% smaller. The pull stays
// an import(): its own file, read only when the image must be pulled.
const RUN_PATH = ['src/cli/run-line.ts', 'src/cli/run-in-foreground.ts', 'src/cli/run-flags.ts', 'src/cli/resolve-image.ts']
const runPathStatic = {
  name: 'run-path-static',
  setup(b) {
    b.onLoad({ filter: /\/src\/cli\/[\w-]+\.ts$/ }, (args) => {
      if (!RUN_PATH.some((f) => args.path.endsWith(`/${f}`))) return undefined
      const imports = []
      const contents = readFileSync(args.path, 'utf8').replace(/await import\('([^']+)'\)/g, (call, specifier) => {
        if (specifier === './pull-for-run.js') return call
        imports.push(`import * as __runPath${imports.length} from '${specifier}'`)
        return `__runPath${imports.length - 1}`
      })
      return { contents: `${imports.join('\n')}\n${contents}`, loader: 'ts' }
    })
  },
}
await build({ ...cliBundle, entryPoints: ['src/cli/run-line.ts'], outfile: stage('dist/mini-run-run.cjs'), plugins: [...cliBundle.plugins, pullPart, runPathStatic] })
{
  // the plugin matched: the run path's modules are no longer loaded on demand
  const lazy = readFileSync(staged('dist/mini-run-run.cjs'), 'latin1').match(/\(init_(prepare|run_foreground|resolve_image)\(\)/)
  if (lazy) throw new Error(`dist/mini-run-run.cjs: ${lazy[1]} is still loaded on demand: see runPathStatic`)
  // and the pull still is: its file is required only inside the import() stand-ins
  const run = readFileSync(staged('dist/mini-run-run.cjs'), 'latin1')
  const pulls = run.split('require_mini_run_pull(').length - 1
  if (pulls === 0 || pulls !== run.split('Promise.resolve().then(()=>__toESM(require_mini_run_pull(').length - 1) {
    throw new Error('dist/mini-run-run.cjs: the pull bundle is no longer loaded on demand only: see runPathStatic')
  }
}
// What a `run` that pulls requires of it: the pull, and the layer ingest.
await build({ ...cliBundle, entryPoints: ['src/cli/pull-part.ts'], outfile: stage('dist/mini-run-pull.cjs') })
// `ps`, `images` and `inspect` (src/cli/list-main.ts): commander and these verbs.
await build({ ...cliBundle, entryPoints: ['src/cli/list-main.ts'], outfile: stage('dist/mini-run-list.cjs') })
// Every other verb of mini-run's own command line, one bundle each (src/cli/verb-main.ts): commander, the
// verb's commands module and what that imports. The whole CLI stays for runc's command line, help, an
// image named as the verb (`mini-run alpine`) and a pre-started child of `system service`.
if (statSync('src/cli/commands/verb-modules.ts').mtimeMs > statSync('dist/cli/commands/verb-modules.js').mtimeMs) {
  throw new Error('dist/cli/commands/verb-modules.js is older than its source: run tsc (npm run build) first')
}
const { VERB_MODULES } = await import('../dist/cli/commands/verb-modules.js')
const { LIST_VERB_NAMES } = await import('../dist/cli/list-line.js')
const VERB_BUNDLES = Object.keys(VERB_MODULES).filter((verb) => !LIST_VERB_NAMES.includes(verb)).map((verb) => `dist/mini-run-verb-${verb}.cjs`)
// the launcher runs the bundle of a line's verb if there is one: none is left of a verb this build
// does not bundle (one removed, or left to the whole CLI), nor its caches
for (const name of readdirSync('dist')) {
  const verbFile = /^(mini-run-verb-[\w-]+\.cjs)(\..*)?$/.exec(name)
  if (verbFile && !VERB_BUNDLES.includes(`dist/${verbFile[1]}`)) rmSync(`dist/${name}`, { force: true })
}
await Promise.all(Object.entries(VERB_MODULES).map(([verb, [module, name]]) => {
  const file = `dist/mini-run-verb-${verb}.cjs`
  if (!VERB_BUNDLES.includes(file)) return undefined
  const contents = `import { ${name} as register } from './commands/${module}.js'\nimport { verbMain } from './verb-main.js'\nexport { shownHelpOnly } from './verb-main.js'\nexport const main = (argv) => verbMain(argv, ${JSON.stringify(verb)}, register)\n`
  return build({ ...cliBundle, stdin: { contents, resolveDir: 'src/cli', sourcefile: `verb-${verb}.ts`, loader: 'ts' }, outfile: stage(file) })
}))
await build({
  ...common,
  entryPoints: ['src/build/vendor.ts'],
  outfile: stage('dist/mini-run-build-vendor.cjs'),
})
// What a rootless user with subordinate ids does as root of their user
// namespace (unpack layers, fill volumes): a program of its own
// (src/rootless/userns-helper.ts).
await build({
  ...common,
  entryPoints: ['src/rootless/userns-helper.ts'],
  outfile: stage('dist/mini-run-userns-helper.cjs'),
  external: ['ffi-rs', '@yuuang/*'],
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: BUNDLE_URL },
})
await build({
  ...common,
  entryPoints: ['src/compose/vendor.ts'],
  outfile: stage('dist/mini-run-compose-vendor.cjs'),
  plugins: [standaloneValidator],
})
await build({
  ...common,
  entryPoints: ['src/cli/launcher.cts'],
  outfile: stage('dist/mini-run.cjs'),
  // run's flags as data for the thin parser (tsc has built dist/ before this
  // script runs): not the code that defines them, compiled at every start;
  // as JSON text in a string literal, parsed at use (launcher.cts)
  define: { RUN_LINE_FLAG_TABLES_JSON: JSON.stringify(JSON.stringify((await import('../dist/cli/run-line-tables.js')).flagTables())) },
  // "--": Node 20 reads every --env-file in argv, even after the script,
  // and exits when the file is missing: `mini-run run --env-file F` is ours.
  // NODE_EXTRA_CA_CERTS passes under another name, for the launcher to give
  // back: Node would parse the file at every start (registry/extra-ca-certs.ts).
  // env(1) expands ${...} in -S's string, an unset variable to nothing.
  banner: { js: '#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS MINI_RUN_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --' },
})

// Each module of a bundle requires the builtins it imports: the run bundle
// says require("node:fs") 51 times and require("node:path") 40, and each
// goes through Node's Module._load (91 such calls: 0.35-0.4 ms, measured in
// a fresh process). Here each builtin is required once, then looked up.
const REQUIRE_ONCE = 'var __nodeBuiltins=new Map,__nodeRequire=id=>{let m=__nodeBuiltins.get(id);return m===void 0&&__nodeBuiltins.set(id,m=require(id)),m};'
function requireBuiltinsOnce(file) {
  const bundled = readFileSync(file, 'latin1')
  const banner = bundled.indexOf(BUNDLE_URL)
  if (banner < 0) throw new Error(`${file}: no banner to put the builtins' lookup after`)
  const at = banner + BUNDLE_URL.length
  const rest = bundled.slice(at).replace(/(?<![\w$.])require\((["'])(node:[\w/]+)\1\)/g, '__nodeRequire("$2")')
  writeFileSync(file, bundled.slice(0, at) + REQUIRE_ONCE + rest, 'latin1')
}

// The two bundles on the start path (a foreground run; ps, images and
// inspect) get short local names once the steps above have found esbuild's
// own: 23-29% fewer bytes to read and turn into a string at every start
// (run 361 -> 277 kB, list 277 -> 198 kB) and a code cache 2.5% smaller,
// about 2 ms of a run (40 interleaved rounds, paired); the verbs' own bundles
// too. Their stack traces show the short names; the whole CLI's bundle (runc's
// command line, help), the library in dist/ and src/ keep theirs. No code compares a function's or a class's name (errors
// are told apart by instanceof and code), and mini-run's errors carry theirs
// as literals, for logs (commander's, in the list bundle, are short). format cjs: the bundle's top level
// is a function's body (the launcher's wrapper), so its names are local too.
async function shortNames(file) {
  const { code } = await transform(readFileSync(file, 'latin1'), { format: 'cjs', minifyIdentifiers: true, minifyWhitespace: true, minifySyntax: true, charset: 'ascii', logLevel: 'warning' })
  writeFileSync(file, code, 'latin1')
}

// The launcher reads each bundle as latin1 and runs it as a vm.Script, which
// has no import(): both are checked here rather than found at run time.
const LOADED_BY_LAUNCHER = ['dist/mini-run-cli.cjs', 'dist/mini-run-run.cjs', 'dist/mini-run-list.cjs', ...VERB_BUNDLES]
for (const final of LOADED_BY_LAUNCHER) {
  const file = staged(final)
  toEsmOnce(file)
  requireBuiltinsOnce(file)
  if (final !== 'dist/mini-run-cli.cjs') await shortNames(file)
  // Module.wrap's wrapper, written in: the launcher compiles the file's text
  // as it is, a string over the file's pages (native/map-file.c), where a
  // wrapper added at run time made a string of pieces that V8 copied into
  // one first (the whole CLI's 1.3 MB: 3-4 ms of every verb it runs). So a
  // bundle is no script of its own: `node dist/mini-run-cli.cjs` defines a
  // function and runs nothing; the launcher runs it. Its #! line becomes a
  // comment, as the launcher made it.
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'latin1').replace(/^#!/, '//')}\n})\n`, 'latin1')
  chmodSync(file, 0o644)
  const bundled = readFileSync(file, 'latin1')
  const nonAscii = bundled.search(/[^\x00-\x7f]/)
  if (nonAscii >= 0) throw new Error(`${file}: non-ASCII text at offset ${nonAscii}: ${JSON.stringify(bundled.slice(nonAscii - 40, nonAscii + 10))}`)
  const dynamicImport = bundled.search(/[^\w$.]import\(/)
  if (dynamicImport >= 0) throw new Error(`${file}: import() at offset ${dynamicImport}; a builtin must be imported statically`)
  // The build's id, for the launcher to tell its code cache from another bundle's
  appendFileSync(file, `//# mini-run-build ${createHash('sha256').update(bundled).digest('hex').slice(0, 32)}\n`)
  // every cache of the bundle: its own, one per verb or network path (launcher.cts)
  const base = final.slice('dist/'.length)
  for (const cache of readdirSync('dist')) if (cache.startsWith(`${base}.`) && cache.endsWith('.cache')) rmSync(`dist/${cache}`, { force: true })
}

// new files each (esbuild rewrote the old ones, keeping their mode): readable by all, as a rootless
// user runs the userns helper and requires the pull and vendor files; the launcher executable
for (const file of outputs) chmodSync(staged(file), file === 'dist/mini-run.cjs' ? 0o755 : 0o644)
// what the bundles load first (pull, vendors, the helper), then the bundles, then the launcher that
// names them: a start in between may pair a new file with an old one that loads it, never miss one
const order = (file) => (file === 'dist/mini-run.cjs' ? 2 : LOADED_BY_LAUNCHER.includes(file) ? 1 : 0)
for (const file of [...outputs].sort((a, b) => order(a) - order(b))) renameSync(staged(file), file)

// The run verb's bundle's cache, for the `run` lines the run bundle leaves
// to it (-d, -it, --explain), written at the exit of a run that compiles
// what `run` needs: --explain plans a container and starts nothing.
// (Without it the first such run writes one; this only makes it a good one.)
// The run and listing bundles' caches are written by the first run of each
// of their verbs that goes the whole way (the launcher's cacheAfter).
try {
  execFileSync(process.execPath, ['dist/mini-run.cjs', 'run', '--explain', '--rootfs', '/', '/bin/true'], {
    stdio: 'ignore',
    env: { ...process.env, MINI_RUN_WRITE_CODE_CACHE: '1' },
  })
} catch (err) {
  console.warn(`warning: no code cache written (the first run will write one): ${err.message}`)
}
// Every other verb's bundle gets a cache of its top level, its commands and their options (`VERB
// --help`, which marks it as no whole run: the verb's first run that exits 0 writes it again, with
// what its action compiled). It is what a user who cannot write to dist/ (rootless, on a root's
// install) starts with: `image ls` 110 -> 83 ms, `network ls` 84 -> 77, `version` 79 -> 74 (10
// rounds, `node -e 0` 59-60 ms). Two at a time, ~3 s.
const helpCaches = VERB_BUNDLES.filter((file) => file !== 'dist/mini-run-verb-run.cjs').map((file) => file.slice('dist/mini-run-verb-'.length, -'.cjs'.length))
const writeHelpCache = (verb) =>
  new Promise((resolve) => {
    execFile(process.execPath, ['dist/mini-run.cjs', verb, '--help'], { env: { ...process.env, MINI_RUN_WRITE_CODE_CACHE: '1' } }, (err) => {
      if (err) console.warn(`warning: no code cache written for ${verb} (its first run will write one): ${err.message}`)
      resolve()
    })
  })
for (let i = 0; i < helpCaches.length; i += 2) await Promise.all(helpCaches.slice(i, i + 2).map(writeHelpCache))
