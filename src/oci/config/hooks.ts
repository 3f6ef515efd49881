/**
 * config.json's `hooks` (config.md "POSIX-platform Hooks"): programs of the
 * runtime's namespace, each given the container's state on stdin.
 * createContainer and startContainer hooks would run inside the container's
 * mount namespace, in the middle of the child's steps, which mini-run's
 * step program has no way to pause for: they are refused.
 */
import type { SpecHook, SpecHooks } from '../../runtime/spec/spec.js'
import { absolutePath, object, optArray, optInteger, optObject, optStringArray, unsupported } from './fields.js'

const RUN = ['prestart', 'createRuntime', 'poststart', 'poststop'] as const

export function readHooks(v: unknown): SpecHooks | undefined {
  const h = optObject(v, 'hooks')
  if (!h) return undefined
  const hooks: SpecHooks = {}
  for (const phase of ['createContainer', 'startContainer'] as const) {
    if (optArray(h[phase], `hooks.${phase}`)?.length) unsupported(`hooks.${phase}`, `a ${phase} hook (run inside the container's namespaces)`)
  }
  for (const phase of RUN) {
    const list = optArray(h[phase], `hooks.${phase}`)
    if (list?.length) hooks[phase] = list.map((x, i) => readHook(x, `hooks.${phase}[${i}]`))
  }
  return Object.keys(hooks).length ? hooks : undefined
}

function readHook(v: unknown, where: string): SpecHook {
  const o = object(v, where)
  const args = optStringArray(o.args, `${where}.args`)
  const env = optStringArray(o.env, `${where}.env`)
  const timeout = optInteger(o.timeout, `${where}.timeout`, 1)
  return {
    path: absolutePath(o.path, `${where}.path`),
    ...(args ? { args } : {}),
    ...(env ? { env } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  }
}
