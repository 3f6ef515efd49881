// 100 containers started one after another from one Node process, through
// the library API (no CLI, no node start-up): prints ms per container.
import { mkdtempSync, openSync, rmSync } from 'node:fs'
import { prepareContainer, runPrepared } from '../dist/index.js'
import { resolveForRun } from '../dist/cli/resolve-image.js'

// storeRoot: a store with localhost/mini-run/busybox loaded (bench/run.sh)
const [storeRoot, count = '100'] = process.argv.slice(2)
const devnull = openSync('/dev/null', 'r')
// a state root of its own (its events log with it), never this machine's /run/mini-run
const stateRoot = mkdtempSync('/var/tmp/mini-run-loop-state-')
process.on('exit', () => rmSync(stateRoot, { recursive: true, force: true }))
const options = {
  image: 'localhost/mini-run/busybox',
  network: 'none',
  command: ['/bin/true'],
  storeRoot,
  stateRoot,
  resolveImage: (ref, root) => resolveForRun(ref, root, 'never'),
}
// one warm-up
await runPrepared(await prepareContainer(options), { stdio: [devnull, 1, 2] }, { remove: true })
const start = process.hrtime.bigint()
for (let i = 0; i < Number(count); i++) {
  const code = await runPrepared(await prepareContainer(options), { stdio: [devnull, 1, 2] }, { remove: true })
  if (code !== 0) throw new Error(`container exited ${code}`)
}
const ms = Number(process.hrtime.bigint() - start) / 1e6 / Number(count)
console.log(ms.toFixed(3))
