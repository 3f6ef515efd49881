// The kernel-feature tests (test/vm/*.vmtest.ts: cgroup v2 limits, stop and
// rm -f) need a pure cgroup v2 hierarchy with the memory, pids and cpu
// controllers. On such a machine they run here directly; elsewhere (a hybrid
// host like CI's) test/vm/run-vm.sh runs them in a VM booted from Debian's
// kernel with cgroup_no_v1=all. Without QEMU or the kernel package the test
// is skipped, with the reason, unless CI is set: in CI it must run.
//
// .ci/run starts that VM before the suite, beside it (most of the suite
// waits on one core, and the VM's emulation wants one), and names its
// directory in MINI_RUN_VM_RESULT: there run-vm.sh writes its output and, at
// its end, its exit status. This test then waits for that status instead of
// booting a VM of its own; the suite runs it last (vitest.config.ts).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { unsuitableReason } from './vm/kernel-test-env.js'

const PROJECT = fileURLToPath(new URL('..', import.meta.url))
const HARNESS = fileURLToPath(new URL('vm/run-vm.sh', import.meta.url))
const VM_CONFIG = 'test/vm/vitest.vm.config.ts'

/** The harness's --check: undefined when this machine can boot the VM, else what is missing. */
function vmMissing(): string | undefined {
  const r = spawnSync('bash', [HARNESS, '--check'], { encoding: 'utf8' })
  if (r.status === 0) return undefined
  return r.stderr.trim().replace(/^run-vm: /gm, '') || `run-vm.sh --check exited ${r.status}`
}

const early = process.env.MINI_RUN_VM_RESULT
const direct = !early && unsuitableReason() === undefined
const missing = direct || early ? undefined : vmMissing()
const skipReason = missing && !process.env.CI ? missing : undefined

const TIMEOUT = 25 * 60_000

/**
 * Run a command, copying its output to ours as it comes; its status and
 * output. SIGTERM before the test's own timeout: the harness then stops its
 * VM and removes its files, where a dying worker would leave them.
 */
function runStreaming(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: PROJECT,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: AbortSignal.timeout(TIMEOUT - 60_000),
      killSignal: 'SIGTERM',
    })
    let output = ''
    const copy = (chunk: Buffer): void => {
      output += chunk.toString()
      process.stdout.write(chunk)
    }
    child.stdout.on('data', copy)
    child.stderr.on('data', copy)
    // on abort, 'close' follows with the harness's status (143)
    child.on('error', (err) => err.name !== 'AbortError' && reject(err))
    child.on('close', (status) => resolve({ status, output }))
  })
}

/** The result of the VM .ci/run started (see above), once it has one. */
async function awaitEarly(dir: string): Promise<{ status: number | null; output: string }> {
  const end = Date.now() + TIMEOUT - 60_000
  while (!existsSync(`${dir}/status`) && Date.now() < end) await sleep(1000)
  const output = existsSync(`${dir}/output`) ? readFileSync(`${dir}/output`, 'utf8') : ''
  process.stdout.write(output)
  if (!existsSync(`${dir}/status`)) return { status: null, output: `${output}\nvm-kernel: no status in ${dir} after ${(TIMEOUT - 60_000) / 60_000} minutes` }
  return { status: Number(readFileSync(`${dir}/status`, 'utf8')), output }
}

/** The tests' result: from .ci/run's VM, run here directly, or in a VM of their own. */
function vmResult(): Promise<{ status: number | null; output: string }> {
  if (early) return awaitEarly(early)
  if (direct) return runStreaming(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', VM_CONFIG])
  return runStreaming('bash', [HARNESS])
}

function title(): string {
  if (early) return 'pass in the VM .ci/run started beside the suite (test/vm/run-vm.sh)'
  if (direct) return 'pass on this pure cgroup v2 machine (test/vm/*.vmtest.ts, run directly)'
  return `pass in a VM with a pure cgroup v2 kernel (test/vm/run-vm.sh)${skipReason ? ` — skipped: ${skipReason}` : ''}`
}

describe('kernel features (cgroup v2 limits, stop, rm -f)', () => {
  it.skipIf(skipReason)(
    title(),
    async () => {
      const r = await vmResult()
      // on failure, the end of the guest's output says which test and why
      expect(r.status, r.output.split('\n').slice(-80).join('\n')).toBe(0)
    },
    // the harness's own limit is 20 minutes (MINI_RUN_VM_TIMEOUT)
    TIMEOUT,
  )
})
