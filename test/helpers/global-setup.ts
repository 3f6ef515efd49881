// Integration tests run the built CLI, as a user would: build it first so a
// test never runs stale JavaScript.
import { execFileSync } from 'node:child_process'

export default function setup(): void {
  execFileSync('make', ['-s', '-C', 'native'], { stdio: 'inherit' })
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' })
}
