/**
 * What `buildx create` records of a builder instance's node, read as buildx
 * reads it (builder/builder.go, store/nodegroup.go): --driver-opt as CSV
 * fields of k=v, --buildkitd-flags split as a shell would (shlex),
 * --platform as comma lists of os/arch[/variant] normalized as containerd
 * does. mini-run's builder runs RUN natively, so a node's platforms can
 * only be this machine's (build --platform refuses others the same way).
 */
import { UsageError } from '../errors.js'
import { hostPlatform, parsePlatform } from '../image/platform.js'

/** buildx's csvToMap: each value CSV fields (a field in double quotes may hold a comma), each k=v. */
export function parseDriverOpts(values: string[]): Record<string, string> {
  const opts: Record<string, string> = {}
  for (const value of values) {
    for (const field of csvFields(value)) {
      const eq = field.indexOf('=')
      if (eq === -1) throw new UsageError(`invalid value ${JSON.stringify(field)}, expecting k=v`)
      opts[field.slice(0, eq)] = field.slice(eq + 1)
    }
  }
  return opts
}

/** encoding/csv's fields of one line: "a,b" is two, "\"a,b\"" one, "" inside quotes a quote. */
function csvFields(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') field += line[++i]
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      fields.push(field)
      field = ''
    } else field += c
  }
  if (quoted) throw new UsageError(`invalid value ${JSON.stringify(line)}: extraneous or missing " in quoted-field`)
  fields.push(field)
  return fields
}

/** google/shlex's Split, as buildx splits --buildkitd-flags: words by blanks, quotes and backslashes as sh takes them. */
export function splitBuildkitdFlags(text: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word = (word ?? '') + c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) word = (word ?? '') + text[++i]!
      else word = (word ?? '') + c
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (c === '"' || c === "'") {
      quote = c
      word ??= ''
    } else if (c === '\\') {
      if (++i === text.length) throw new UsageError('failed to parse buildkit flags: EOF found after escape character')
      word = (word ?? '') + text[i]
    } else word = (word ?? '') + c
  }
  if (quote) throw new UsageError('failed to parse buildkit flags: EOF found when expecting closing quote')
  if (word !== undefined) words.push(word)
  return words
}

// containerd's normalizeArch: the names uname and distributions use
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', i386: '386', armhf: 'arm', armel: 'arm' }

/** os/arch[/variant] as containerd's platforms.Format(Normalize(...)) prints it: arm64's default v8 left out. */
function normalized(os: string, architecture: string, variant?: string): string {
  const arch = ARCH_ALIASES[architecture.toLowerCase()] ?? architecture.toLowerCase()
  const v = variant?.toLowerCase()
  const shown = arch === 'arm64' && (v === 'v8' || v === '8') ? undefined : v
  return `${os.toLowerCase()}/${arch}${shown ? `/${shown}` : ''}`
}

/** This machine's platform, as a builder lists it: linux/amd64. */
export function hostPlatformText(): string {
  const host = hostPlatform()
  return normalized(host.os, host.architecture, host.variant)
}

/**
 * --platform values (each a comma list; `local` is this machine's), as
 * buildx's platformutil.Parse takes them, each checked to be this
 * machine's: RUN executes natively, there is no emulation to build others.
 */
export function parseNodePlatforms(values: string[]): string[] {
  const host = hostPlatform()
  const out: string[] = []
  for (const text of values.flatMap((v) => v.split(','))) {
    if (text.toLowerCase() === 'local') {
      out.push(hostPlatformText())
      continue
    }
    const p = parsePlatform(text)
    const shown = normalized(p.os, p.architecture, p.variant)
    const [os, arch] = shown.split('/')
    if (os !== host.os || arch !== normalized(host.os, host.architecture).split('/')[1]) {
      throw new UsageError(`--platform ${text}: RUN executes natively on this ${hostPlatformText()} machine (no emulation); mini-run's builders build for ${hostPlatformText()} alone`)
    }
    if (!out.includes(shown)) out.push(shown)
  }
  return out
}
