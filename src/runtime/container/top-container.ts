/**
 * `top`: the container's processes, as Docker lists them: the host's `ps`
 * (with the user's options, `-ef` by default) run once, and only the lines
 * whose PID is one of the container's kept (moby daemon/top_unix.go). The
 * container's processes are those in its cgroup leaf (cgroup.procs); with
 * no cgroup of its own (rootless), its first process and its descendants.
 * PIDs are the host's, as in Docker.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { MiniRunError } from '../../errors.js'
import type { ContainerInfo } from './containers.js'

export interface TopResult {
  titles: string[]
  processes: string[][]
}

/** The pids of the container's processes, as the host sees them. */
export function containerPids(c: Pick<ContainerInfo, 'cgroup' | 'pid'>): number[] {
  if (c.cgroup) {
    try {
      return readFileSync(join(c.cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
    } catch {
      // removed meanwhile: fall back to the tree
    }
  }
  return c.pid ? processTree(c.pid) : []
}

/** pid and its descendants (/proc/<pid>/task/<tid>/children, Linux 3.5). */
function processTree(root: number): number[] {
  const out: number[] = []
  const walk = (pid: number) => {
    out.push(pid)
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${pid}/task`)
    } catch {
      return
    }
    for (const tid of tasks) {
      let children = ''
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
      } catch {
        continue
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean)) walk(Number(child))
    }
  }
  walk(root)
  return out
}

/** ps's output, the container's lines only: the last column may hold spaces (the command). */
export function parsePsOutput(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '')
  const titles = (lines[0] ?? '').trim().split(/\s+/)
  const pidColumn = titles.indexOf('PID')
  if (pidColumn < 0) throw new MiniRunError("Couldn't find PID field in ps output")
  const processes: string[][] = []
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/)
    const pid = Number(fields[pidColumn])
    if (!pids.has(pid)) continue
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')])
  }
  return { titles, processes }
}

export async function topContainer(c: ContainerInfo, psArgs: string[] = ['-ef']): Promise<TopResult> {
  if (c.status !== 'running') throw new MiniRunError(`Container ${c.id.slice(0, 12)} is not running`, { code: 'ENOTRUNNING' })
  const pids = new Set(containerPids(c))
  let stdout: string
  try {
    ;({ stdout } = await promisify(execFile)('ps', psArgs.length ? psArgs : ['-ef'], { maxBuffer: 64 * 1024 * 1024 }))
  } catch (err) {
    throw new MiniRunError(`Error running ps: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err })
  }
  return parsePsOutput(stdout, pids)
}
