/**
 * `compose ls`: the projects that have containers here, from their labels
 * (no compose file is read), as docker compose lists them: NAME, STATUS
 * ("exited(1), running(2)": each state's count, states sorted) and CONFIG
 * FILES; only projects with a running container unless -a.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { contextFor } from './context.js'

interface ProjectRow {
  Name: string
  Status: string
  ConfigFiles: string
}

export async function lsCommand(flags: { all?: boolean; quiet?: boolean; format?: string; filter?: string[] }, cmd: Command): Promise<void> {
  if (flags.format !== undefined && flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`invalid --format "${flags.format}": table or json`)
  // --filter name=X: the name itself, or a regular expression it matches (docker compose ls's one filter)
  const names = (flags.filter ?? []).map((f) => {
    const eq = f.indexOf('=')
    if (eq < 0 || f.slice(0, eq) !== 'name') throw new UsageError(`invalid filter '${eq < 0 ? f : f.slice(0, eq)}'`)
    return f.slice(eq + 1)
  })
  const wanted = (name: string) =>
    names.length === 0 ||
    names.some((n) => {
      if (n === name) return true
      try {
        return new RegExp(n).test(name)
      } catch {
        return false
      }
    })
  const ctx = await contextFor(cmd)
  const [{ listContainers }, { dockerStatus }, { LABELS }, { alignTabs }] = await Promise.all([
    import('../../runtime/container/containers.js'),
    import('../../runtime/container/filter-containers.js'),
    import('../../compose/labels.js'),
    import('../format/tab-writer.js'),
  ])
  const projects = new Map<string, { states: Map<string, number>; files: string }>()
  for (const c of listContainers(ctx.stateRoot)) {
    const name = c.labels?.[LABELS.project]
    if (name === undefined) continue
    const p = projects.get(name) ?? { states: new Map<string, number>(), files: c.labels?.[LABELS.configFiles] ?? '' }
    const state = dockerStatus(c)
    p.states.set(state, (p.states.get(state) ?? 0) + 1)
    projects.set(name, p)
  }
  const rows: ProjectRow[] = [...projects]
    .filter(([name, p]) => (flags.all || p.states.has('running')) && wanted(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, p]) => ({
      Name: name,
      Status: [...p.states].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, n]) => `${s}(${n})`).join(', '),
      ConfigFiles: p.files,
    }))
  if (flags.quiet) return void process.stdout.write(rows.map((r) => `${r.Name}\n`).join(''))
  if (flags.format === 'json') return void process.stdout.write(`${JSON.stringify(rows)}\n`)
  const lines = ['NAME\tSTATUS\tCONFIG FILES', ...rows.map((r) => `${r.Name}\t${r.Status}\t${r.ConfigFiles}`)]
  process.stdout.write(alignTabs(lines.join('\n')).split('\n').map((l) => l.trimEnd()).join('\n') + '\n')
}
