/**
 * The lessons of docs/ as checks. Every ```console block of docs/*.md holds
 * commands (lines starting with "$ ") each followed by the output a reader
 * sees. A block opened with ```console vm needs a pure cgroup v2 kernel and
 * is run by test/vm/docs-lessons.vmtest.ts; the others by
 * test/docs-lessons.test.ts. The placeholders are documented in
 * docs/README.md ("How the lessons are checked"); keep the two in step.
 *
 * The commands run as a reader runs them, `sh -c` with stdout and stderr on
 * one file, against a store of their own in which the busybox fixture is
 * loaded under the name the lessons use, and with the default cgroup parent
 * (`mini-run`), which a reader gets too and no variable can change.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadArchive } from '../../src/image/load-archive.js'
import { findCgroup2Mount } from '../../src/runtime/cgroup/cgroup.js'
import { cliEnv } from './cli.js'
import { BUSYBOX_OCI } from './test-env.js'

export const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url))

/** The image the lessons name; `npm install` loads it into the default store. */
export const LESSON_IMAGE = 'localhost/mini-run/busybox:latest'

/** The paths a reader's output shows, which the lessons' private store replaces. */
const DEFAULT_STORE = '/var/lib/mini-run'
const DEFAULT_STATE = '/run/mini-run'

/** Where a block runs: on any root host, or only on a pure cgroup v2 kernel. */
export type Where = 'host' | 'vm'

export interface LessonCommand {
  /** docs/ file name and the command's line in it (1-based), for test names. */
  file: string
  line: number
  where: Where
  command: string
  /** The output lines shown under the command, placeholders included. */
  expected: string[]
}

const FENCE_OPEN = /^```console(?:[ \t]+(\S+))?[ \t]*$/
const FENCE_CLOSE = /^```[ \t]*$/

/** The commands of one lesson's console blocks, in order. */
export function parseLesson(file: string, text: string): LessonCommand[] {
  const lines = text.split('\n')
  const commands: LessonCommand[] = []
  let where: Where | undefined
  let current: LessonCommand | undefined
  lines.forEach((line, i) => {
    if (where === undefined) {
      const open = FENCE_OPEN.exec(line)
      if (!open) return
      const tag = open[1] ?? 'host'
      if (tag !== 'host' && tag !== 'vm') throw new Error(`${file}:${i + 1}: unknown console block tag "${tag}" (use none or vm)`)
      where = tag
      return
    }
    if (FENCE_CLOSE.test(line)) {
      where = undefined
      current = undefined
      return
    }
    if (line.startsWith('$ ')) {
      current = { file, line: i + 1, where, command: line.slice(2), expected: [] }
      commands.push(current)
    } else if (current) {
      current.expected.push(line)
    } else if (line.trim() !== '') {
      throw new Error(`${file}:${i + 1}: output before the first "$ " command of a console block`)
    }
  })
  if (where !== undefined) throw new Error(`${file}: a console block is not closed`)
  return commands
}

/** The lesson files of docs/ (NN-name.md), sorted. */
export function lessonFiles(): string[] {
  return readdirSync(DOCS).filter((f) => /^\d\d-[a-z0-9-]+\.md$/.test(f)).sort()
}

/** Every command of every lesson, in reading order. */
export function allLessonCommands(): LessonCommand[] {
  return lessonFiles().flatMap((f) => parseLesson(f, readFileSync(join(DOCS, f), 'utf8')))
}

/** Spacing is not compared: a terminal's columns and a tab look alike to a reader. */
function normalize(line: string): string {
  return line.trim().replace(/[ \t]+/g, ' ')
}

/** One expected line as a regular expression for one output line. */
function linePattern(line: string): RegExp {
  const escaped = normalize(line).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const source = escaped.replace(/<n>/g, '\\d+').replace(/<hex>/g, '[0-9a-f]+').replace(/<any>/g, '.*')
  return new RegExp(`^${source}$`)
}

function withoutTrailingBlanks(lines: string[]): string[] {
  const out = [...lines]
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop()
  return out
}

/**
 * Whether output (the whole text) is what expected shows: line by line,
 * with `...` standing for any number of lines (none included), `<n>` for a
 * number, `<hex>` for lowercase hex digits and `<any>` for any text within
 * a line.
 */
export function outputMatches(expected: string[], output: string, options: { explain?: boolean } = {}): boolean {
  const want = withoutTrailingBlanks(expected).map((l) => (normalize(l) === '...' ? undefined : linePattern(l)))
  const lines = withoutTrailingBlanks(output.split('\n'))
  const got = (options.explain ? unwrapReasons(lines) : lines).map(normalize)
  const memo = new Map<number, boolean>()
  const from = (i: number, j: number): boolean => {
    const key = i * (got.length + 1) + j
    const known = memo.get(key)
    if (known !== undefined) return known
    let result: boolean
    if (i === want.length) result = j === got.length
    else {
      const pattern = want[i]
      if (pattern === undefined) result = from(i + 1, j) || (j < got.length && from(i, j + 1))
      else result = j < got.length && pattern.test(got[j]!) && from(i + 1, j + 1)
    }
    memo.set(key, result)
    return result
  }
  return from(0, 0)
}

/**
 * --explain wraps a long reason over several lines; a lesson shows it on
 * one, whatever the width: a continuation (indented, not a step, a "why:"
 * or a "then") joins the line before it.
 */
function unwrapReasons(lines: string[]): string[] {
  const out: string[] = []
  for (const line of lines) {
    const continuation = /^\s{5,}\S/.test(line) && !/^\s*(why: |then |P?\d+\. |\()/.test(line)
    if (continuation && out.length > 0) out[out.length - 1] += ' ' + line.trim()
    else out.push(line)
  }
  return out
}

export interface CommandResult {
  status: number | null
  signal: NodeJS.Signals | null
  /** stdout and stderr as a terminal shows them, the store's paths as a reader's. */
  output: string
}

export interface LessonEnv {
  dir: string
  storeRoot: string
  stateRoot: string
  run(command: string, timeoutMs: number): CommandResult
  /** What a command left behind: must be empty after each one. */
  leftovers(): string[]
  cleanup(): void
}

/** The v2 hierarchy's default parent, as a container without --cgroup-parent gets it. */
function defaultCgroupParent(): string | undefined {
  const mount = findCgroup2Mount()
  return mount ? join(mount, 'mini-run') : undefined
}

function childDirs(path: string | undefined): string[] {
  if (!path || !existsSync(path)) return []
  return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
}

/** Whether a process of the cgroup has a mount of dir: a container of this store. */
function holdsMountsOf(leaf: string, dir: string): boolean {
  try {
    const pids = readFileSync(join(leaf, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)
    return pids.some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(dir)
      } catch {
        return false // it exited meanwhile
      }
    })
  } catch {
    return false // the leaf went meanwhile
  }
}

/** End what a failed test left in a leaf (cgroup.kill, Linux 5.14) and remove it, waiting up to 5 s. */
function removeLeaf(leaf: string): void {
  try {
    writeFileSync(join(leaf, 'cgroup.kill'), '1')
  } catch {
    // gone already, or an older kernel: rmdir says which
  }
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(leaf)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
    }
  }
}

export interface LessonEnvOptions {
  /**
   * Nothing but these tests uses the default cgroup parent (the VM): every
   * new leaf under it is theirs. Elsewhere other users of the machine may
   * start containers there too, and a leaf counts as the lessons' only when
   * a process in it has a mount of their store.
   */
  exclusiveCgroupParent?: boolean
}

export async function makeLessonEnv(options: LessonEnvOptions = {}): Promise<LessonEnv> {
  const dir = mkdtempSync('/var/tmp/mini-run-docs-')
  // searchable, like /var/lib: a user namespace's root must reach its layers
  chmodSync(dir, 0o755)
  const storeRoot = join(dir, 'store')
  const stateRoot = join(dir, 'state')
  const { ImageStore } = await import('../../src/image/store.js')
  await loadArchive(new ImageStore({ root: storeRoot }), BUSYBOX_OCI, { name: LESSON_IMAGE })

  const parent = defaultCgroupParent()
  const parentExisted = parent !== undefined && existsSync(parent)
  const leavesBefore = new Set(childDirs(parent))
  // The reader's environment: no MINI_RUN_* of the test run, except the store.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MINI_RUN_')))
  const env = { ...cliEnv(base), LC_ALL: 'C', MINI_RUN_ROOT: storeRoot, MINI_RUN_STATE: stateRoot }
  const ourLeaves = (): string[] =>
    childDirs(parent)
      .filter((d) => !leavesBefore.has(d))
      .map((d) => join(parent!, d))
      .filter((leaf) => options.exclusiveCgroupParent || holdsMountsOf(leaf, dir))

  return {
    dir,
    storeRoot,
    stateRoot,
    run(command, timeoutMs) {
      const outPath = join(dir, 'output')
      const fd = openSync(outPath, 'w')
      let r
      try {
        r = spawnSync('sh', ['-c', command], { cwd: dir, env, stdio: ['ignore', fd, fd], timeout: timeoutMs, killSignal: 'SIGKILL' })
      } finally {
        closeSync(fd)
      }
      const output = readFileSync(outPath, 'utf8').replaceAll(storeRoot, DEFAULT_STORE).replaceAll(stateRoot, DEFAULT_STATE)
      rmSync(outPath)
      return { status: r.status, signal: r.signal, output }
    },
    leftovers() {
      const left: string[] = []
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir))
      left.push(...mounts.map((m) => `mount: ${m}`))
      for (const sub of ['containers', 'volumes']) left.push(...childDirs(join(storeRoot, sub)).map((d) => `${sub}: ${d}`))
      // the events log (src/events/) is the state root's history, not something a container left
      if (existsSync(stateRoot)) left.push(...readdirSync(stateRoot).filter((e) => !/^events\.log/.test(e)).map((e) => `state: ${e}`))
      left.push(...ourLeaves().map((leaf) => `cgroup: ${leaf}`))
      return left
    },
    cleanup() {
      for (const leaf of ourLeaves()) removeLeaf(leaf)
      if (parent && !parentExisted && childDirs(parent).length === 0) {
        try {
          rmdirSync(parent)
        } catch {
          // another container appeared in it meanwhile: not ours to remove
        }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
