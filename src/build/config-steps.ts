/**
 * The Dockerfile instructions that only change the image config (pure):
 * ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR's path, CMD, ENTRYPOINT, SHELL,
 * STOPSIGNAL, HEALTHCHECK, and the parsing they share with ARG.
 */
import { parseDuration } from '../duration.js'
import { UsageError } from '../errors.js'
import { flagValue, heredocName, type HeredocBody, type Instruction } from './dockerfile.js'
import type { HealthConfig } from './image-state.js'
import { expand, splitRawWords, type Lookup } from './shell-lex.js'

export const DEFAULT_SHELL = ['/bin/sh', '-c']

function fail(i: Instruction, message: string): never {
  throw new UsageError(`Dockerfile:${i.line}: ${i.keyword}: ${message}`, { code: 'EDOCKERFILE' })
}

/**
 * `KEY=VALUE ...` pairs (ENV, LABEL, ARG), values expanded with `lookup`:
 * the values from before the instruction, for every pair of it, as the
 * Dockerfile reference says ("ENV abc=bye def=$abc" gives def the abc of
 * before the line: a change takes effect in later instructions only).
 * The old one-pair form `ENV KEY VALUE WITH SPACES` too; ARG allows a
 * NAME without a value.
 */
export function parseKeyValues(i: Instruction, escape: string, lookup: Lookup, options: { bareNames?: boolean } = {}): [string, string | undefined][] {
  const words = splitRawWords(i.args, escape)
  if (words.length === 0) fail(i, 'requires at least one argument')
  const first = words[0]!
  if (!first.includes('=') && !options.bareNames) {
    // the legacy form: the rest of the line is the value
    if (words.length < 2) fail(i, `"${first}" needs a value: ${i.keyword} ${first}=VALUE`)
    const rest = i.args.trim().slice(first.length).trim()
    return [[first, expand(rest, lookup, escape).word]]
  }
  return rawKeyValues(i, escape, lookup, options).map(([name, value]) => [name, value === undefined ? undefined : expand(value, lookup, escape).word])
}

/**
 * The `NAME[=VALUE]` words of a line, the names expanded with `lookup`,
 * the values not yet: for ARG, BuildKit expands each ARG's default after
 * the one before it on the line is set (`ARG A=1 B=${A}x` gives B=1x),
 * unlike ENV's pairs.
 */
export function rawKeyValues(i: Instruction, escape: string, lookup: Lookup, options: { bareNames?: boolean } = {}): [string, string | undefined][] {
  const words = splitRawWords(i.args, escape)
  if (words.length === 0) fail(i, 'requires at least one argument')
  const pairs: [string, string | undefined][] = []
  for (const word of words) {
    const eq = word.indexOf('=')
    if (eq < 0) {
      if (!options.bareNames) fail(i, `"${word}" must be of the form NAME=VALUE`)
      pairs.push([expand(word, lookup, escape).word, undefined])
      continue
    }
    const name = expand(word.slice(0, eq), lookup, escape).word
    if (name === '') fail(i, 'a name can not be blank')
    pairs.push([name, word.slice(eq + 1)])
  }
  return pairs
}

/** Set KEY=VALUE in an Env list, replacing an earlier KEY where it was. */
export function setEnv(env: string[], key: string, value: string): string[] {
  const out = [...env]
  const at = out.findIndex((e) => e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')) === key)
  if (at >= 0) out[at] = `${key}=${value}`
  else out.push(`${key}=${value}`)
  return out
}

/**
 * The argv of RUN, CMD and ENTRYPOINT: the exec (JSON) form as is, the
 * shell form as SHELL + [line]. A RUN whose body is only a heredoc runs the
 * heredoc's content as the script (one starting with "#!" is run as a file
 * instead: `heredocScript`); otherwise the shell reads the heredocs itself
 * (POSIX sh has them).
 */
export function commandOf(i: Instruction, shell: readonly string[]): string[] {
  if (i.json) return i.json
  if (i.heredocs.length > 0) {
    const only = soleHeredoc(i)
    if (only) return [...shell, only.content]
    const bodies = i.heredocs.map((h) => `${h.content}${h.name}`).join('\n')
    return [...shell, `${i.args}\n${bodies}`]
  }
  return [...shell, i.args.trim()]
}

/** The heredoc a RUN is made of alone (`RUN <<EOF`), as BuildKit's dispatchRun tells it. */
function soleHeredoc(i: Instruction): HeredocBody | undefined {
  const name = i.heredocs.length === 1 ? heredocName(i.args.trim()) : undefined
  return name !== undefined && name === i.heredocs[0]!.name ? i.heredocs[0] : undefined
}

/**
 * A RUN made of one heredoc starting with "#!": BuildKit writes it to a
 * file (mode 0755) mounted at /dev/pipes/NAME and runs that, so the kernel
 * picks the interpreter (`#!/bin/awk -f`).
 */
export function heredocScript(i: Instruction): { name: string; content: string } | undefined {
  if (i.json) return undefined
  const only = soleHeredoc(i)
  return only?.content.startsWith('#!') ? { name: only.name, content: only.content } : undefined
}

/** EXPOSE 80 443/tcp 53/udp 8000-8002: the ExposedPorts keys. */
export function exposedPorts(i: Instruction, words: string[]): string[] {
  const out: string[] = []
  for (const word of words) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word)
    if (!m) fail(i, `invalid port "${word}": PORT[-PORT][/tcp|udp|sctp]`)
    const from = Number(m[1])
    const to = m[2] !== undefined ? Number(m[2]) : from
    if (from < 1 || to > 65535 || to < from) fail(i, `invalid port range "${word}"`)
    for (let p = from; p <= to; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`)
  }
  return out
}

export { parseDuration }

/** HEALTHCHECK [--interval=..] CMD ... | NONE: Docker's Healthcheck config. */
export function healthcheckOf(i: Instruction): HealthConfig {
  const args = i.args.trim()
  if (/^NONE$/i.test(args)) {
    if (i.flags.length) fail(i, 'HEALTHCHECK NONE takes no options')
    return { Test: ['NONE'] }
  }
  const m = /^CMD(\s+|$)/i.exec(args)
  if (!m) fail(i, 'expected CMD or NONE')
  const rest = args.slice(m[0].length)
  if (rest.trim() === '') fail(i, 'CMD needs a command')
  let test: string[]
  const json = rest.trim().startsWith('[') ? tryJson(rest) : undefined
  if (json) test = ['CMD', ...json]
  else test = ['CMD-SHELL', rest.trim()]
  const health: HealthConfig = { Test: test }
  const duration = (name: string, key: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval') => {
    const v = flagValue(i, name)
    if (v === undefined) return
    let ns: number
    try {
      ns = parseDuration(v)
    } catch (err) {
      fail(i, `--${name}: ${(err as Error).message}`)
    }
    // BuildKit's parseOptInterval: 0 is the default, anything else at least 1ms (Docker's
    // daemon would refuse the container of such an image: "cannot be less than 1ms")
    if (ns > 0 && ns < 1_000_000) fail(i, `Interval "${name}" cannot be less than 1ms`)
    health[key] = ns
  }
  duration('interval', 'Interval')
  duration('timeout', 'Timeout')
  duration('start-period', 'StartPeriod')
  duration('start-interval', 'StartInterval')
  const retries = flagValue(i, 'retries')
  if (retries !== undefined) {
    if (!/^\d+$/.test(retries)) fail(i, `--retries=${retries} is not a number`)
    health.Retries = Number(retries)
  }
  return health
}

function tryJson(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined
  } catch {
    return undefined
  }
}

/** SHELL ["executable", "parameters"]: the JSON form only. */
export function shellOf(i: Instruction): string[] {
  if (!i.json || i.json.length === 0) fail(i, 'SHELL requires the JSON form, e.g. SHELL ["/bin/bash", "-c"]')
  return i.json
}

/** WORKDIR: relative paths are relative to the previous one. */
export function workdirOf(current: string | undefined, path: string): string {
  const joined = path.startsWith('/') ? path : `${current || '/'}/${path}`
  const parts: string[] = []
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return '/' + parts.join('/')
}
