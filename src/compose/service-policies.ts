/**
 * A service's policies: its health check, its restart policy, and the
 * parts of `deploy:` a single host honours (resources.limits, replicas,
 * restart_policy); the swarm's placement and update settings are warned
 * about and ignored, as Docker Compose does without a swarm.
 */
import { parseDuration } from '../duration.js'
import { parseSize } from '../runtime/cgroup/cgroup-limits.js'
import { checkHealthConfig, type HealthConfig } from '../runtime/health/health-config.js'
import type { At } from './compose-error.js'
import type { RestartPolicy } from './model.js'
import { bool, int, isMap, str, strings, type Raw } from './values.js'

export function duration(v: unknown, at: At): number {
  try {
    return parseDuration(str(v, at))
  } catch (err) {
    throw at.error((err as Error).message, err)
  }
}

export function size(v: unknown, at: At, allowUnlimited = false): string | undefined {
  if (v === undefined || v === null) return undefined
  const text = str(v, at)
  if (allowUnlimited && text === '-1') return text
  try {
    parseSize(text, 'size')
  } catch {
    throw at.error(`invalid size "${text}": a number of bytes, or with a unit (512m, 1g)`)
  }
  return text
}

export function cpus(v: unknown, at: At): string {
  const text = str(v, at)
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw at.error(`invalid number of CPUs "${text}"`)
  return text
}

export function healthcheckOf(v: unknown, at: At): HealthConfig {
  const h = v as Raw
  if (h.disable !== undefined && bool(h.disable, at.at('disable'))) return { Test: ['NONE'] }
  let test: string[] = []
  if (typeof h.test === 'string') test = ['CMD-SHELL', h.test]
  else if (Array.isArray(h.test)) {
    test = strings(h.test, at.at('test'))
    if (!['NONE', 'CMD', 'CMD-SHELL'].includes(test[0] ?? '')) throw at.at('test').error(`a list starts with NONE, CMD or CMD-SHELL, not ${JSON.stringify(test[0] ?? '')}`)
  }
  const config: HealthConfig = { Test: test }
  const times = { interval: 'Interval', timeout: 'Timeout', start_period: 'StartPeriod', start_interval: 'StartInterval' } as const
  for (const [key, field] of Object.entries(times)) if (h[key] !== undefined) config[field] = duration(h[key], at.at(key))
  if (h.retries !== undefined) config.Retries = int(h.retries, at.at('retries'))
  if (test[0] !== 'NONE' && test.length) {
    try {
      checkHealthConfig(config)
    } catch (err) {
      throw at.error((err as Error).message, err)
    }
  }
  return config
}

export function restartOf(v: unknown, at: At): RestartPolicy {
  const text = str(v, at)
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(text)
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure')) throw at.error(`invalid restart policy "${text}": no, always, on-failure[:N] or unless-stopped`)
  return { name: m[1] as RestartPolicy['name'], maximumRetryCount: m[2] !== undefined ? Number(m[2]) : 0 }
}

export interface Deploy {
  replicas?: number
  restart?: RestartPolicy
  memory?: string
  cpus?: string
  pids?: string
  /** resources.reservations.memory: --memory-reservation */
  memoryReservation?: string
}

/** deploy: resources.limits, replicas and restart_policy; the swarm's placement and updates are not for one host. */
export function deployOf(v: unknown, at: At, warnings: string[]): Deploy {
  if (!isMap(v)) return {}
  const out: Deploy = {}
  for (const key of Object.keys(v)) {
    if (['resources', 'replicas', 'restart_policy', 'labels', 'mode'].includes(key) || key.startsWith('x-')) continue
    warnings.push(`${at.file}: ${at.at(key)}: ignored (a swarm setting)`)
  }
  if (v.mode !== undefined && str(v.mode, at.at('mode')) !== 'replicated') throw at.at('mode').error('only replicated is supported by mini-run')
  if (v.replicas !== undefined) out.replicas = int(v.replicas, at.at('replicas'))
  if (isMap(v.restart_policy)) {
    const p = v.restart_policy
    const here = at.at('restart_policy')
    const condition = p.condition === undefined ? 'any' : str(p.condition, here.at('condition'))
    const name = ({ none: 'no', 'on-failure': 'on-failure', any: 'always' } as const)[condition as 'none']
    if (!name) throw here.at('condition').error('none, on-failure or any')
    out.restart = { name, maximumRetryCount: p.max_attempts !== undefined ? int(p.max_attempts, here.at('max_attempts')) : 0 }
  }
  if (isMap(v.resources)) for (const key of Object.keys(v.resources)) if (key !== 'limits' && key !== 'reservations' && !key.startsWith('x-')) throw at.at('resources', key).error('not supported by mini-run')
  // reservations: memory is --memory-reservation, as Docker Compose sets it; cpus is the swarm's (docker compose ignores it); devices (GPUs) are refused, not dropped
  const reservations = isMap(v.resources) && isMap(v.resources.reservations) ? v.resources.reservations : undefined
  if (reservations) {
    const here = at.at('resources', 'reservations')
    for (const key of Object.keys(reservations)) {
      if (key === 'cpus') warnings.push(`${at.file}: ${here.at(key)}: ignored (a swarm setting)`)
      else if (key !== 'memory' && !key.startsWith('x-')) throw here.at(key).error('not supported by mini-run')
    }
    if (reservations.memory !== undefined) out.memoryReservation = size(reservations.memory, here.at('memory'))
  }
  const limits = isMap(v.resources) && isMap(v.resources.limits) ? v.resources.limits : undefined
  if (limits) {
    const here = at.at('resources', 'limits')
    for (const key of Object.keys(limits)) {
      if (!['cpus', 'memory', 'pids'].includes(key)) throw here.at(key).error('not supported by mini-run')
    }
    if (limits.memory !== undefined) out.memory = size(limits.memory, here.at('memory'))
    if (limits.cpus !== undefined) out.cpus = cpus(limits.cpus, here.at('cpus'))
    if (limits.pids !== undefined) out.pids = String(int(limits.pids, here.at('pids'), -1))
  }
  return out
}

