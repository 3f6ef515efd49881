/**
 * OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): each is a host
 * program run with its own args and env (nothing of the runtime's), the
 * container's state JSON on stdin. A hook that fails or outlives its
 * timeout stops the lifecycle step that ran it (poststop hooks are only
 * warned about: the container is gone either way).
 */
import { spawn } from 'node:child_process'
import { MiniRunError } from '../../errors.js'
import type { SpecHook } from '../spec/spec.js'

export async function runHooks(phase: string, hooks: readonly SpecHook[], state: object): Promise<void> {
  const input = JSON.stringify(state)
  for (const [i, hook] of hooks.entries()) await runHook(`${phase} hook ${i} (${hook.path})`, hook, input)
}

function runHook(name: string, hook: SpecHook, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...args] = hook.args?.length ? hook.args : [hook.path]
    const env = Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
    const child = spawn(hook.path, args, { argv0, env, stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString()
    })
    child.stdin.on('error', () => {
      // a hook that does not read its stdin: EPIPE is no failure
    })
    child.stdin.end(input)
    const timer = hook.timeout ? setTimeout(() => child.kill('SIGKILL'), hook.timeout * 1000) : undefined
    let timedOut = false
    if (timer) timer.unref()
    child.on('error', (err) => {
      if (timer) clearTimeout(timer)
      reject(new MiniRunError(`${name}: ${err.message}`, { cause: err }))
    })
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      timedOut = signal === 'SIGKILL' && hook.timeout !== undefined
      if (code === 0) return resolve()
      const why = timedOut ? `timed out after ${hook.timeout}s` : code !== null ? `exit status ${code}` : `killed by ${signal}`
      reject(new MiniRunError(`${name}: ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`, { code: 'EHOOK' }))
    })
  })
}
