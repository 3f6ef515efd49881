/**
 * The order services start in: each after the services it depends on
 * (depends_on), in waves of services whose dependencies are all up (a wave
 * starts in parallel); `down` and `stop` go the other way. A cycle is an
 * error naming it.
 */
import { ComposeError } from './compose-error.js'
import type { Service } from './model.js'

/** Waves, first to start first; each wave's services depend only on earlier waves. */
export function startWaves(services: Readonly<Record<string, { dependsOn?: Readonly<Record<string, unknown>> }>>, file = 'compose file'): string[][] {
  const names = Object.keys(services).sort()
  const level = new Map<string, number>()
  const visiting: string[] = []
  const visit = (name: string): number => {
    const known = level.get(name)
    if (known !== undefined) return known
    const at = visiting.indexOf(name)
    if (at >= 0) {
      const cycle = [...visiting.slice(at), name]
      throw new ComposeError(file, ['services', cycle[0]!, 'depends_on'], `dependency cycle: ${cycle.join(' -> ')}`)
    }
    visiting.push(name)
    let l = 0
    for (const dep of Object.keys(services[name]?.dependsOn ?? {})) if (services[dep]) l = Math.max(l, visit(dep) + 1)
    visiting.pop()
    level.set(name, l)
    return l
  }
  for (const n of names) visit(n)
  const waves: string[][] = []
  for (const n of names) (waves[level.get(n)!] ??= []).push(n)
  return waves.filter(Boolean)
}

/** Every service the given ones need, themselves included (`up web` starts web's dependencies too). */
export function withDependencies(services: Record<string, Pick<Service, 'dependsOn'>>, wanted: readonly string[]): Set<string> {
  const out = new Set<string>()
  const add = (n: string) => {
    if (out.has(n) || !services[n]) return
    out.add(n)
    for (const dep of Object.keys(services[n]!.dependsOn)) add(dep)
  }
  wanted.forEach(add)
  return out
}

/**
 * The services that depend on any of these with restart: true, and those
 * that depend so on them (network_mode: service: implies it): `restart db`
 * restarts them too, after db, as docker compose's restart does.
 */
export function restartDependents(services: Record<string, Pick<Service, 'dependsOn'>>, names: ReadonlySet<string>): string[] {
  const out = new Set<string>()
  for (let grew = true; grew; ) {
    grew = false
    for (const [name, s] of Object.entries(services)) {
      if (names.has(name) || out.has(name)) continue
      if (Object.entries(s.dependsOn).some(([dep, d]) => d.restart && (names.has(dep) || out.has(dep)))) {
        out.add(name)
        grew = true
      }
    }
  }
  return [...out].sort()
}
