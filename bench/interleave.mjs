// Interleaved timing: each round runs every command once, in turn, for many
// rounds; prints each command's median (and quartiles) in ms, and writes
// them as JSON. Why not hyperfine: it runs one command's whole batch, then
// the next one's, and this VM's speed drifts over minutes, so one batch can
// catch the floor in a fast phase and mini-run in a slow one. Rounds that
// interleave let the drift hit every command alike. Each round runs the
// commands in an order of its own (a seeded shuffle), so none always runs
// just after another: a container start right after another pays for the
// kernel's teardown of the first (its memory, its namespaces) by 1-2 ms, and
// a rotation alone keeps every command behind the same neighbour.
//
// The JSON keeps each command's times by round too (times[r] of every
// command is from round r), for differences paired within a round.
//
// usage: node bench/interleave.mjs COMMANDS.json OUT.json
//   COMMANDS.json: [{ "name": "...", "argv": ["prog", "arg", ...], "env"?: { ... } }, ...]
//   (env: variables added to this process's environment for that command)
//   ROUNDS (default 40) and WARMUP (default 3) from the environment
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

const [commandsFile, outFile] = process.argv.slice(2)
const commands = JSON.parse(readFileSync(commandsFile, 'utf8'))
const rounds = Number(process.env.ROUNDS ?? 40)
const warmup = Number(process.env.WARMUP ?? 3)

function once({ name, argv, env }) {
  const options = { stdio: ['ignore', 'ignore', 'pipe'], ...(env && { env: { ...process.env, ...env } }) }
  const start = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), options)
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${name}: exit ${r.status ?? r.signal}: ${r.stderr.toString().trim()}`)
  return ms
}

for (let i = 0; i < warmup; i++) for (const c of commands) once(c)
const times = Object.fromEntries(commands.map((c) => [c.name, []]))
// mulberry32: the same orders in every run of the script
let seed = 0x6d696e69
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const shuffled = (xs) => {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}
for (let r = 0; r < rounds; r++) {
  for (const c of shuffled(commands)) times[c.name].push(once(c))
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo)
}
const result = Object.fromEntries(
  // times: by round, for differences paired within a round (the same phase of the machine)
  Object.entries(times).map(([name, xs]) => [name, { median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), runs: xs.length, times: xs }]),
)
writeFileSync(outFile, JSON.stringify(result, null, 2))
for (const [name, r] of Object.entries(result)) {
  console.log(`${name.padEnd(24)} median ${r.median.toFixed(1).padStart(6)} ms  (q1 ${r.q1.toFixed(1)}, q3 ${r.q3.toFixed(1)}, ${r.runs} rounds)`)
}
