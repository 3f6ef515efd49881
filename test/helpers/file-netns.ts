// Each test file in a network namespace of its own (vitest's setupFiles: it
// runs in the file's worker before the file): files run two at a time
// (vitest.config.ts), and a file's bridges, NAT rules, DNS servers, ports on
// 127.0.0.1 and registries must neither meet another's nor outlive it.
// Only the worker's main thread moves (mr_unshare), and everything the file
// starts is started from it.
import { execFileSync } from 'node:child_process'

const CLONE_NEWNET = 0x40000000

if (process.getuid?.() === 0) {
  const native = await import('../../src/native/isolation-calls.js')
  native.unshare(CLONE_NEWNET)
  execFileSync('ip', ['link', 'set', 'lo', 'up'])
}
