// Integration tests run the built CLI, as a user would: build it first so a
// test never runs stale JavaScript, and put this build's `mini-run` first on
// the PATH the tests give it (test/helpers/cli.ts).
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { BIN_DIR_ENV, makeBinDir } from './cli.js'

export default function setup(): () => void {
  execFileSync('make', ['-s', '-C', 'native'], { stdio: 'inherit' })
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' })
  const dir = makeBinDir()
  process.env[BIN_DIR_ENV] = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
