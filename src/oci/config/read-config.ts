/**
 * A bundle's config.json (runtime-spec config.md) as mini-run's Spec: read
 * whole and checked before anything is made. A value that is invalid (an
 * unknown capability or rlimit, a bad ociVersion, a relative mount
 * destination) or that needs what mini-run does not do is refused with one
 * line naming the field; unknown fields are ignored, as the spec asks.
 */
import { readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { MiniRunError } from '../../errors.js'
import type { Spec } from '../../runtime/spec/spec.js'
import { ConfigError, object, optBoolean, optString, string, stringMap } from './fields.js'
import { readHooks } from './hooks.js'
import { readHostSecurity, type HostSecurity } from './host-security.js'
import { readLinux } from './linux.js'
import { readMounts } from './mounts.js'
import { readProcess } from './process.js'

export interface OciConfig {
  spec: Spec
  /** linux.cgroupsPath as given ("" when absent). */
  cgroupsPath: string
  /** What was ignored, for the log. */
  warnings: string[]
}

/** The runtime-spec versions mini-run reads: 1.x (1.0.0 to 1.2.x as published; later minors keep compatibility). */
const OCI_VERSION = /^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/

/** Parse and check a config.json; `bundle` resolves root.path. */
export function parseConfig(text: string, bundle: string, security: HostSecurity = readHostSecurity()): OciConfig {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new MiniRunError(`config.json: not JSON: ${(err as Error).message}`, { code: 'EINVALIDCONFIG' })
  }
  const c = object(json, '(top level)')
  const warnings: string[] = []
  const version = string(c.ociVersion, 'ociVersion')
  if (!OCI_VERSION.test(version)) throw new ConfigError('ociVersion', `${JSON.stringify(version)} is not a version of the runtime spec 1.x that mini-run reads`)
  const root = object(c.root, 'root')
  const rootPath = string(root.path, 'root.path')
  if (rootPath === '') throw new ConfigError('root.path', 'is empty')
  const { linux, cgroupsPath } = readLinux(c.linux, security, warnings)
  const userns = linux.namespaces.some((ns) => ns.type === 'user') && linux.uidMappings && linux.gidMappings
    ? { uid: linux.uidMappings, gid: linux.gidMappings }
    : undefined
  const hostname = optString(c.hostname, 'hostname')
  const domainname = optString(c.domainname, 'domainname')
  const ownUts = linux.namespaces.some((ns) => ns.type === 'uts')
  if ((hostname || domainname) && !ownUts) throw new ConfigError(hostname ? 'hostname' : 'domainname', 'needs a UTS namespace (linux.namespaces has none): it would rename the host')
  const hooks = readHooks(c.hooks)
  const annotations = c.annotations === undefined || c.annotations === null ? undefined : stringMap(c.annotations, 'annotations')
  const spec: Spec = {
    ociVersion: version,
    process: readProcess(c.process ?? {}, 'process', security, warnings),
    root: { path: isAbsolute(rootPath) ? rootPath : resolve(bundle, rootPath), readonly: optBoolean(root.readonly, 'root.readonly') ?? false },
    ...(hostname ? { hostname } : {}),
    ...(domainname ? { domainname } : {}),
    mounts: readMounts(c.mounts, userns),
    linux,
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
    ...(hooks ? { hooks } : {}),
  }
  return { spec, cgroupsPath, warnings }
}

/** <bundle>/config.json, and the bundle's root filesystem checked to be a directory. */
export function readBundleConfig(bundle: string, security?: HostSecurity): OciConfig {
  let text: string
  try {
    text = readFileSync(join(bundle, 'config.json'), 'utf8')
  } catch (err) {
    throw new MiniRunError(`bundle ${bundle}: cannot read config.json: ${(err as Error).message}`, { code: 'ENOBUNDLE', cause: err })
  }
  const config = parseConfig(text, bundle, security)
  let isDir = false
  try {
    isDir = statSync(config.spec.root.path).isDirectory()
  } catch {
    // missing: refused below
  }
  if (!isDir) throw new ConfigError('root.path', `${config.spec.root.path} is not a directory`)
  return config
}
