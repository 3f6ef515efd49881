/**
 * `events --filter`, as Docker's daemon applies it (daemon/events/filter.go):
 * values of one key OR, different keys AND, labels AND (every label given
 * must be there, as MatchKVList). container, network and volume match the
 * actor's id or name by prefix; image matches the image exactly, with or
 * without its tag; event matches the action exactly, except that
 * exec_create, exec_start and health_status also match the actions that
 * carry a command or status after them ("exec_start: sh -c ...").
 */
import { UsageError } from '../errors.js'
import type { EventMessage } from './event-message.js'

const KEYS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'] as const
type Key = (typeof KEYS)[number]
const TYPES = ['builder', 'config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume']

export type EventFilter = Map<Key, string[]>

export function parseEventFilters(given: string[]): EventFilter {
  const filter: EventFilter = new Map()
  for (const f of given) {
    const at = f.indexOf('=')
    if (at < 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`)
    const key = f.slice(0, at).trim().toLowerCase() as Key
    const value = f.slice(at + 1)
    if (!KEYS.includes(key)) throw new UsageError(`invalid filter '${key}'`)
    if (key === 'type' && !TYPES.includes(value)) throw new UsageError(`invalid filter 'type=${value}'`)
    filter.set(key, [...(filter.get(key) ?? []), value])
  }
  return filter
}

/** No values for the key: anything; else the source is one of them. */
function exact(filter: EventFilter, key: Key, ...sources: (string | undefined)[]): boolean {
  const values = filter.get(key)
  return values === undefined || sources.some((s) => s !== undefined && values.includes(s))
}

/** Docker's FuzzyMatch: a value that begins the source. */
function prefix(filter: EventFilter, key: Key, ...sources: (string | undefined)[]): boolean {
  const values = filter.get(key)
  return values === undefined || sources.some((s) => s !== undefined && values.some((v) => s.startsWith(v)))
}

const stripTag = (image: string | undefined) => {
  if (image === undefined) return undefined
  const at = image.lastIndexOf(':')
  return at > image.lastIndexOf('/') ? image.slice(0, at) : image
}

function matchEvent(filter: EventFilter, e: EventMessage): boolean {
  const values = filter.get('event')
  if (values === undefined) return true
  if (values.some((v) => v === 'exec_create' || v === 'exec_start' || v === 'health_status')) return values.some((v) => e.Action.startsWith(v))
  return values.includes(e.Action)
}

function matchLabels(filter: EventFilter, attributes: Record<string, string>): boolean {
  return (filter.get('label') ?? []).every((l) => {
    const at = l.indexOf('=')
    return at < 0 ? l in attributes : attributes[l.slice(0, at)] === l.slice(at + 1)
  })
}

export function eventMatches(filter: EventFilter, e: EventMessage): boolean {
  const attrs = e.Actor.Attributes
  const name = attrs.name
  const image = e.Type === 'image' ? attrs.name : attrs.image
  return (
    matchEvent(filter, e) &&
    exact(filter, 'type', e.Type) &&
    exact(filter, 'scope', e.scope) &&
    // mini-run's events are the local engine's: no daemon, plugin, swarm or node event
    !['daemon', 'plugin', 'node', 'service', 'secret', 'config'].some((k) => filter.has(k as Key)) &&
    // by the actor whatever its type, as Docker's fuzzyMatchName: container=X keeps X's own events alone
    prefix(filter, 'container', e.Actor.ID, name) &&
    prefix(filter, 'network', e.Actor.ID, name) &&
    prefix(filter, 'volume', e.Actor.ID, name) &&
    exact(filter, 'image', e.Actor.ID, image, stripTag(e.Actor.ID), stripTag(image)) &&
    matchLabels(filter, attrs)
  )
}
