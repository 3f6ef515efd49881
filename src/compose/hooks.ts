/**
 * Lifecycle hooks, as Docker Compose runs them (pkg/compose/hook.go):
 * `post_start` commands run in a service's container, as `exec` runs
 * them, each time compose starts it (up, start, restart, run); `pre_stop`
 * commands before compose stops it (stop, down, restart; not a recreate,
 * whose old container Docker Compose stops directly, nor a paused one).
 * Their output is shown line by line as it comes, as `<container> -> line`; a hook that
 * exits non-zero fails the verb with its status and the last lines of its
 * output (stderr's, else stdout's). A restart the runtime does on its own
 * (a restart policy) runs none, as Docker's daemon knows of none.
 * A child a hook leaves holding its output is shown for 2 s after the hook
 * ends, then its output goes to a drain (Docker's closed exec streams end
 * such a child at its next write; mini-run lets it live).
 */
import { closeSync, openSync } from 'node:fs'
import { Socket } from 'node:net'
import { drainInBackground } from '../drain-fd.js'
import { MiniRunError } from '../errors.js'
import * as processCalls from '../native/process-calls.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { execInContainer, prepareExec } from '../runtime/container/exec-container.js'
import type { At } from './compose-error.js'
import type { ComposeContext } from './compose-context.js'
import { HookStream } from './hook-output.js'
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

/** Run the hooks in the (running) container, one after the other, their lines shown as they come; the first that fails throws. */
export async function runHooks(ctx: ComposeContext, service: Service, c: ContainerInfo, hooks: readonly ServiceHook[] | undefined): Promise<void> {
  for (const hook of hooks ?? []) {
    const show = (line: string) => ctx.onEvent?.({ kind: 'hook', name: c.name, line })
    const streams = [new HookStream(show), new HookStream(show)] as const
    const nul = openSync('/dev/null', 'r')
    const readers: ReturnType<typeof readPipe>[] = []
    let code: number
    try {
      for (const stream of streams) readers.push(readPipe(stream))
      code = await execHook(c, hook, [nul, readers[0]!.writeEnd, readers[1]!.writeEnd])
    } finally {
      closeSync(nul)
      // the hook is done: its write ends closed, each reader sees its end (or is cut off after a grace)
      await Promise.all(readers.map((r) => r.finish()))
    }
    if (code !== 0) {
      const tail = streams[1].tail.toString() || streams[0].tail.toString()
      throw new MiniRunError(`${service.name} hook exited with status ${code}${tail ? `: ${tail}` : ''}`, { code: 'EHOOK' })
    }
  }
}

/** How long, after the hook's exit, its output is still shown: a child it left in the background may hold the pipe (Docker's exec streams wait 2 s too). */
const DRAIN_MS = 2000

/**
 * A pipe whose read end feeds the stream; `finish` closes the write end and
 * waits for the end of file, or the grace. A child the hook left holding the
 * pipe then writes to a drain, not into a closed pipe whose SIGPIPE would
 * end it (a post_start `agent &` that logs lives on).
 */
function readPipe(stream: HookStream): { writeEnd: number; finish: () => Promise<void> } {
  const [readEnd, writeEnd] = processCalls.pipe()
  // a second read end for the drain (our write end is open: the open does not wait for a writer);
  // without /proc, none: such a child is cut off
  let spare: number | undefined
  try {
    spare = openSync(`/proc/self/fd/${readEnd}`, 'r')
  } catch {
    spare = undefined
  }
  const socket = new Socket({ fd: readEnd, readable: true, writable: false })
  socket.on('data', (chunk: Buffer) => stream.write(chunk))
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => socket.destroy())
  return {
    writeEnd,
    finish: async () => {
      closeSync(writeEnd)
      let handedOff = false
      const grace = setTimeout(() => {
        handedOff = true
        if (spare !== undefined) drain(spare)
        socket.destroy()
      }, DRAIN_MS)
      await closed
      clearTimeout(grace)
      if (!handedOff && spare !== undefined) closeSync(spare)
      stream.end()
    },
  }
}

/** The pipe drained (drain-fd.ts) by mini-run-hook-drain: it ends with the pipe's last writer, at the latest with its container; without one, the child's next write ends it, as under Docker. */
function drain(fd: number): void {
  drainInBackground(fd, 'mini-run-hook-drain')
  closeSync(fd)
}
