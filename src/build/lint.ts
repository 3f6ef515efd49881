/**
 * `mini-run build --check` and `mini-run lint`: the common Dockerfile
 * mistakes, each with its line (pure, apart from looking at the context):
 *
 *   secret-env          an ENV or ARG whose name looks like a secret: it
 *                       stays in the image config or the history for anyone
 *                       who pulls the image (use RUN --mount=type=secret)
 *   secret-file         COPY/ADD of a file that looks like a key or
 *                       credentials (.env, id_rsa, *.pem, *.key)
 *   root-user           the final stage never sets USER: the container runs as root
 *   latest-base         FROM an image without a tag, or with :latest: the
 *                       build changes when the tag moves
 *   apt-lists           RUN apt-get install without removing
 *                       /var/lib/apt/lists: the index stays in the layer
 *   add-instead-of-copy ADD of a plain local file: COPY says what it does
 */
import { excludePatterns, selectBelow } from './copy-select.js'
import { flagValue, flagValues, type Instruction, type ParsedDockerfile } from './dockerfile.js'
import type { PathPatterns } from './path-patterns.js'
import { splitRawWords } from './shell-lex.js'
import { resolveSource, type SourceFs } from './source-fs.js'

export interface LintWarning {
  rule: 'secret-env' | 'secret-file' | 'root-user' | 'latest-base' | 'apt-lists' | 'add-instead-of-copy'
  line: number
  message: string
}

const SECRET_NAME = /PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|PRIVATE_?KEY|CREDENTIAL|^AWS_/i
const SECRET_FILE = /(^|\/)(\.env(\.[\w.-]+)?|id_(rsa|dsa|ecdsa|ed25519)|[^/]*\.pem|[^/]*\.key|\.npmrc|\.netrc|\.pypirc|credentials(\.json)?)$/i
const ARCHIVE_NAME = /\.(tar|tgz|tar\.gz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$/i

/** `target`: the stage a build --target makes, whose USER is the image's (default: the last). */
export function lintDockerfile(df: ParsedDockerfile, context?: SourceFs, target?: string): LintWarning[] {
  const warnings: LintWarning[] = []
  const stageNames = new Set(df.stages.map((s) => s.name).filter(Boolean))
  const argNames = (i: Instruction) => splitRawWords(i.args, df.escape).map((w) => w.split('=')[0]!)
  for (const i of df.globalArgs) checkSecretNames(i, argNames(i), warnings)

  for (const stage of df.stages) {
    const base = stage.base
    if (base.toLowerCase() !== 'scratch' && !stageNames.has(base.toLowerCase()) && !base.includes('$') && !/^\d+$/.test(base)) {
      const lastPart = base.split('/').at(-1)!
      if (!base.includes('@')) {
        if (!lastPart.includes(':')) {
          warnings.push({ rule: 'latest-base', line: stage.from.line, message: `FROM ${base} has no tag: it means :latest, which changes when the image is updated; pin a version (or a digest)` })
        } else if (lastPart.endsWith(':latest')) {
          warnings.push({ rule: 'latest-base', line: stage.from.line, message: `FROM ${base}: :latest changes when the image is updated; pin a version (or a digest)` })
        }
      }
    }
    for (const i of stage.instructions) {
      switch (i.keyword) {
        case 'ENV':
        case 'ARG': {
          const words = splitRawWords(i.args, df.escape)
          const names = i.keyword === 'ENV' && words[0] && !words[0].includes('=') ? [words[0]] : argNames(i)
          checkSecretNames(i, names, warnings)
          break
        }
        case 'RUN': {
          const text = i.json ? i.json.join(' ') : [i.args, ...i.heredocs.map((h) => h.content)].join('\n')
          const cachesApt = flagValues(i, 'mount').some((m) => /type=cache/.test(m) && /\/var\/(lib|cache)\/apt/.test(m))
          if (/\bapt(-get)?\s+(-\S+\s+)*install\b/.test(text) && !/rm\s+(-\S+\s+)*\S*\/var\/lib\/apt\/lists/.test(text) && !cachesApt) {
            warnings.push({ rule: 'apt-lists', line: i.line, message: 'RUN apt-get install without "rm -rf /var/lib/apt/lists/*" in the same RUN: the package index stays in the layer' })
          }
          break
        }
        case 'COPY':
        case 'ADD':
          checkCopy(i, df, context, warnings)
          break
      }
    }
  }
  const wanted = target?.toLowerCase()
  const final = (wanted !== undefined ? df.stages.find((st) => st.name === wanted) ?? (/^\d+$/.test(wanted) ? df.stages[Number(wanted)] : undefined) : undefined) ?? df.stages.at(-1)!
  const users = final.instructions.filter((i) => i.keyword === 'USER')
  const last = users.at(-1)
  if (!last || /^(root|0)(:.*)?$/.test(last.args.trim())) {
    warnings.push({
      rule: 'root-user',
      line: last?.line ?? final.from.line,
      message: last ? 'the final USER is root: the container runs as root' : 'the final stage sets no USER: the container runs as root; add a USER',
    })
  }
  return warnings.sort((a, b) => a.line - b.line)
}

function checkSecretNames(i: Instruction, names: string[], warnings: LintWarning[]): void {
  for (const name of names) {
    if (SECRET_NAME.test(name)) {
      warnings.push({
        rule: 'secret-env',
        line: i.line,
        message: `${i.keyword} ${name} looks like a secret: ${i.keyword === 'ENV' ? 'it stays in the image config' : 'its value is in the image history'} for anyone with the image; use RUN --mount=type=secret`,
      })
    }
  }
}

function checkCopy(i: Instruction, df: ParsedDockerfile, context: SourceFs | undefined, warnings: LintWarning[]): void {
  const words = i.json ?? splitRawWords(i.args, df.escape)
  const sources = words.slice(0, -1).filter((w) => !w.startsWith('<<'))
  const fromContext = flagValue(i, 'from') === undefined
  const reported = new Set<string>()
  const secret = (path: string) => {
    if (reported.has(path)) return
    reported.add(path)
    warnings.push({ rule: 'secret-file', line: i.line, message: `${i.keyword} copies ${path}, which looks like a secret: it would be in the image for anyone to read; exclude it in .dockerignore or use RUN --mount=type=secret` })
  }
  // what COPY --exclude leaves out is not copied either; a bad pattern is the build's to report
  let exclude: PathPatterns | undefined
  try {
    exclude = excludePatterns(flagValues(i, 'exclude'))
  } catch {
    exclude = undefined
  }
  const excluded = (name: string) => exclude?.matches(name.slice(name.lastIndexOf('/') + 1)) === true
  for (const source of sources) {
    if (SECRET_FILE.test(source) && !excluded(source)) secret(source)
    // what a directory or pattern brings along, looked up in the context (minus .dockerignore)
    if (fromContext && context && !source.includes('$')) {
      try {
        for (const item of resolveSource(context, source)) {
          if (SECRET_FILE.test(item.rel) && !excluded(item.rel)) secret(item.rel)
          if (!item.stat.isDirectory()) continue
          for (const { item: child } of selectBelow(context, item, undefined, exclude)) if (SECRET_FILE.test(child.rel)) secret(child.rel)
        }
      } catch {
        // a source the build itself will report
      }
    }
    if (i.keyword === 'ADD' && !/^([a-z][a-z0-9+.-]*:\/\/|git@)/i.test(source) && !ARCHIVE_NAME.test(source) && !source.includes('$')) {
      warnings.push({ rule: 'add-instead-of-copy', line: i.line, message: `ADD ${source}: a plain local file; use COPY (ADD also extracts archives and fetches URLs)` })
    }
  }
}

export function formatWarning(file: string, w: LintWarning): string {
  return `${file}:${w.line}: ${w.message} [${w.rule}]`
}
