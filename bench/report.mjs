// Medians and ratios from a hyperfine --export-json file.
import { readFileSync } from 'node:fs'

const { results } = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const median = Object.fromEntries(results.map((r) => [r.command, r.median * 1000]))
for (const [name, ms] of Object.entries(median)) console.log(`${name.padEnd(12)} median ${ms.toFixed(2)} ms`)
const floor = median['node -e 0']
const mini = median['mini-run']
const above = mini - floor
console.log(`mini-run above the node floor: ${above.toFixed(2)} ms`)
for (const peer of ['runc', 'crun']) {
  if (median[peer]) {
    console.log(`mini-run / ${peer}: ${(mini / median[peer]).toFixed(2)}x total; (mini-run - node floor) / ${peer}: ${(above / median[peer]).toFixed(2)}x`)
  }
}
