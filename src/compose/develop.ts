/**
 * A service's `develop.watch` triggers, as compose-go loads them
 * (types/develop.go): the host path to watch, made absolute from the
 * project directory with the symlinks of its existing part resolved (a
 * path that does not exist yet is watched for); the action; the path in
 * the container a sync writes to (from its root); ignore and include
 * patterns, .dockerignore's syntax rooted at the path; whether the path
 * is copied in whole before watching (initial_sync); and the command a
 * sync+exec runs, as a post_start hook is written. `compose watch` acts on
 * them (watch.ts).
 */
import { existsSync, realpathSync } from 'node:fs'
import { basename, dirname, join, posix, resolve } from 'node:path'
import type { At } from './compose-error.js'
import { hooksOf } from './hooks.js'
import type { Develop, WatchAction, WatchTrigger } from './model.js'
import { bool, isMap, str, strings, type Raw } from './values.js'

/** The actions that copy files into the container, and so need a target. */
const SYNCING: ReadonlySet<WatchAction> = new Set(['sync', 'sync+restart', 'sync+exec'])

/** path with the symlinks of its longest existing prefix resolved (compose-go's absSymbolicLink resolves its first). */
function realPrefix(path: string): string {
  if (existsSync(path)) return realpathSync(path)
  const parent = dirname(path)
  return parent === path ? path : join(realPrefix(parent), basename(path))
}

/** `develop`, its paths taken from projectDir; the schema has checked its shape. */
export function developOf(v: unknown, at: At, projectDir: string): Develop | undefined {
  if (!isMap(v) || v.watch === undefined || v.watch === null) return undefined
  const list = Array.isArray(v.watch) ? v.watch : []
  const watch = list.map((item, i): WatchTrigger => {
    const here = at.at('watch', i)
    const t: Raw = isMap(item) ? item : {}
    const pathText = str(t.path, here.at('path'))
    if (pathText.trim() === '') throw here.at('path').error('value can\'t be blank')
    const action = str(t.action, here.at('action')) as WatchAction
    const target = t.target === undefined || t.target === null ? undefined : str(t.target, here.at('target'))
    // compose-go: a target for everything but rebuild and restart
    if (SYNCING.has(action) && (target === undefined || target === '')) throw here.error(`target is required for action ${action}`)
    const exec = t.exec === undefined || t.exec === null ? undefined : hooksOf([t.exec], here.at('exec'))?.[0]
    if (action === 'sync+exec' && !exec?.command.length) throw here.at('exec').error('action sync+exec needs a command to run')
    const home = process.env.HOME
    const expanded = pathText === '~' && home ? home : pathText.startsWith('~/') && home ? join(home, pathText.slice(2)) : pathText
    return {
      path: realPrefix(resolve(projectDir, expanded)),
      action,
      ...(target ? { target: posix.resolve('/', target) } : {}),
      ignore: strings(t.ignore, here.at('ignore')),
      include: strings(t.include, here.at('include')),
      initialSync: t.initial_sync === undefined ? false : bool(t.initial_sync, here.at('initial_sync')),
      ...(exec && action === 'sync+exec' ? { exec } : {}),
    }
  })
  return watch.length ? { watch } : undefined
}
