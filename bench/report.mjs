// Medians and ratios from hyperfine --export-json files, one per round:
// each round's ratios, then the median of each over the rounds.
import { readFileSync } from 'node:fs'

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const rounds = process.argv.slice(2).map((file) => {
  const { results } = JSON.parse(readFileSync(file, 'utf8'))
  const ms = Object.fromEntries(results.map((r) => [r.command, r.median * 1000]))
  const above = ms['mini-run'] - ms['node -e 0']
  return { ms, above, runc: above / ms.runc, crun: above / ms.crun }
})
for (const [i, r] of rounds.entries()) {
  const cols = Object.entries(r.ms).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')
  console.log(`round ${i + 1}: ${cols} ms; above the floor ${r.above.toFixed(1)} ms = ${r.runc.toFixed(2)}x runc, ${r.crun.toFixed(2)}x crun`)
}
const names = Object.keys(rounds[0].ms)
console.log(`medians over ${rounds.length} rounds: ${names.map((k) => `${k} ${median(rounds.map((r) => r.ms[k])).toFixed(1)} ms`).join(', ')}`)
console.log(`mini-run above the node floor: ${median(rounds.map((r) => r.above)).toFixed(1)} ms`)
console.log(`(mini-run - node floor) / runc: ${median(rounds.map((r) => r.runc)).toFixed(2)}x (rounds: ${rounds.map((r) => r.runc.toFixed(2)).join(' ')})`)
console.log(`(mini-run - node floor) / crun: ${median(rounds.map((r) => r.crun)).toFixed(2)}x`)
