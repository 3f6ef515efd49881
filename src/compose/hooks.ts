/**
 * Lifecycle hooks, as Docker Compose runs them (pkg/compose/hook.go):
 * `post_start` commands run in a service's container, as `exec` runs
 * them, each time compose starts it (up, start, restart, run); `pre_stop`
 * commands before compose stops it (stop, down, restart; not a recreate,
 * whose old container Docker Compose stops directly, nor a paused one).
 * Their output is shown line by line as `<container> -> line`; a hook that
 * exits non-zero fails the verb with its status and the last lines of its
 * output (stderr's, else stdout's). A restart the runtime does on its own
 * (a restart policy) runs none, as Docker's daemon knows of none.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { execInContainer, prepareExec } from '../runtime/container/exec-container.js'
import type { At } from './compose-error.js'
import type { ComposeContext } from './compose-context.js'
import type { Service, ServiceHook } from './model.js'
import { bool, command, isMap, listOrDict, str, type Raw } from './values.js'

/** post_start or pre_stop: the schema has checked each is a mapping with a command. */
export function hooksOf(v: unknown, at: At): ServiceHook[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined
  return v.map((item, i) => {
    const here = at.at(i)
    const h: Raw = isMap(item) ? item : {}
    return {
      command: command(h.command, here.at('command')) ?? [],
      ...(h.user !== undefined ? { user: str(h.user, here.at('user')) } : {}),
      ...(h.privileged !== undefined && bool(h.privileged, here.at('privileged')) ? { privileged: true } : {}),
      ...(h.working_dir !== undefined ? { workingDir: str(h.working_dir, here.at('working_dir')) } : {}),
      environment: listOrDict(h.environment, here.at('environment')),
    }
  })
}

/** A hook's command run in the (running) container, as `exec` without a terminal runs it, on these fds; its exit code. */
export function execHook(c: ContainerInfo, hook: ServiceHook, stdio: [number, number, number]): Promise<number> {
  const plan = prepareExec(c, {
    command: hook.command,
    env: Object.entries(hook.environment).map(([k, v]) => `${k}=${v}`),
    privileged: hook.privileged === true,
    workdir: hook.workingDir,
    user: hook.user,
    tty: false,
  })
  return execInContainer(c, plan, { stdio })
}

/** The lines kept of a failing hook's output, as hook.go keeps them. */
const TAIL_LINES = 10

/** Run the hooks in the (running) container, one after the other; the first that fails throws. */
export async function runHooks(ctx: ComposeContext, service: Service, c: ContainerInfo, hooks: readonly ServiceHook[] | undefined): Promise<void> {
  for (const hook of hooks ?? []) {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-hook-'))
    try {
      const fds: number[] = []
      const open = (path: string, flags: string) => {
        fds.push(openSync(path, flags, 0o600))
        return fds.at(-1)!
      }
      let code: number
      try {
        const [out, err, nul] = [open(join(dir, 'out'), 'w'), open(join(dir, 'err'), 'w'), open('/dev/null', 'r')]
        code = await execHook(c, hook, [nul, out, err])
      } finally {
        for (const fd of fds) closeSync(fd)
      }
      const [stdout, stderr] = [readFileSync(join(dir, 'out'), 'utf8'), readFileSync(join(dir, 'err'), 'utf8')]
      for (const line of [...lines(stdout), ...lines(stderr)]) ctx.onEvent?.({ kind: 'hook', name: c.name, line })
      if (code !== 0) {
        const tail = lines(stderr).slice(-TAIL_LINES).join('\n') || lines(stdout).slice(-TAIL_LINES).join('\n')
        throw new MiniRunError(`${service.name} hook exited with status ${code}${tail ? `: ${tail}` : ''}`, { code: 'EHOOK' })
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Its lines, blank ones dropped (hook.go's tail keeps none). */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '')
}
