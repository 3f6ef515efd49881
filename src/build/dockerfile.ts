/**
 * A Dockerfile as typed instructions grouped into stages (pure).
 *
 * The text is parsed by dockerfile-ast, the parser behind the Dockerfile
 * language server that editors use: it knows parser directives (`# syntax`,
 * `# escape`), line continuations with either escape character, comments
 * inside continued lines, flags, JSON (exec) forms and heredocs, and keeps
 * every instruction's line range for messages. What it does not do is
 * Docker's variable expansion, which shell-lex.ts does when a step runs
 * (values depend on the stage's ARG and ENV at that point).
 */
import { UsageError } from '../errors.js'
import { DockerfileParser, type AstInstruction, type Flag, type Heredoc } from './vendor.js'

export const KEYWORDS = new Set([
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER',
  'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
])

/** The flags each instruction accepts (BuildKit's). */
const FLAGS: Record<string, ReadonlySet<string>> = {
  FROM: new Set(['platform']),
  RUN: new Set(['mount', 'network', 'security']),
  COPY: new Set(['from', 'chown', 'chmod', 'link', 'parents', 'exclude']),
  ADD: new Set(['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude']),
  HEALTHCHECK: new Set(['interval', 'timeout', 'start-period', 'start-interval', 'retries']),
}

export interface InstructionFlag {
  name: string
  /** undefined for a bare flag (`--link`). */
  value: string | undefined
}

export interface HeredocBody {
  name: string
  content: string
  /** Unquoted delimiter: build variables are expanded in COPY's content. */
  expand: boolean
}

export interface Instruction {
  keyword: string
  /** 1-based lines of the file, first and last. */
  line: number
  endLine: number
  flags: InstructionFlag[]
  /** The arguments after the flags, continuations joined, as written. */
  args: string
  /** The exec (JSON) form, when the arguments are a JSON array of strings. */
  json?: string[]
  /** Heredoc bodies, in order; `args` then holds only the first line. */
  heredocs: HeredocBody[]
}

export interface Stage {
  /** 0-based position among the stages. */
  index: number
  /** `FROM image AS name`, lower-cased as Docker compares them. */
  name?: string
  from: Instruction
  /** The image reference as written (unexpanded). */
  base: string
  instructions: Instruction[]
}

export interface ParsedDockerfile {
  escape: string
  directives: Map<string, string>
  /** ARGs before the first FROM: usable in FROM lines, and by `ARG NAME` in a stage. */
  globalArgs: Instruction[]
  stages: Stage[]
}

function fail(line: number, message: string): never {
  throw new UsageError(`Dockerfile:${line}: ${message}`, { code: 'EDOCKERFILE' })
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const doc = parseTree(text)
  const lines = text.split(/\r?\n/)
  const escape = doc.getEscapeCharacter()
  const directives = new Map<string, string>()
  for (const d of doc.getDirectives()) directives.set(d.getName().toLowerCase(), d.getValue())
  const globalArgs: Instruction[] = []
  const stages: Stage[] = []
  for (const ast of doc.getInstructions()) {
    const instruction = convert(ast, lines, escape)
    const { keyword, line } = instruction
    if (keyword === 'FROM') {
      const words = instruction.args.trim().split(/\s+/)
      let name: string | undefined
      if (words.length === 3 && words[1]!.toUpperCase() === 'AS') name = words[2]!.toLowerCase()
      else if (words.length !== 1 || words[0] === '') fail(line, 'FROM requires either one argument, or three: FROM <source> [AS <name>]')
      if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) {
        fail(line, `invalid stage name "${name}": it must start with a letter and hold only letters, digits, "-", "_" and "."`)
      }
      if (name !== undefined && stages.some((s) => s.name === name)) fail(line, `duplicate stage name "${name}"`)
      stages.push({ index: stages.length, ...(name !== undefined ? { name } : {}), from: instruction, base: words[0]!, instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (!stage) {
      if (keyword !== 'ARG') fail(line, `${keyword} before the first FROM: only ARG may come before it`)
      globalArgs.push(instruction)
    } else stage.instructions.push(instruction)
  }
  if (stages.length === 0) throw new UsageError('Dockerfile has no FROM instruction', { code: 'EDOCKERFILE' })
  return { escape, directives, globalArgs, stages }
}

function escapedForRegExp(escape: string): string {
  return escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')
}

/**
 * A line that goes on on the next: the escape character, then blanks only,
 * as BuildKit's line continuation regex has it (`([^E])E[ \t]*$|^E[ \t]*$`):
 * an escape after another (`C:\\`, docker/for-win#5254) ends the line.
 */
function continuedLine(escape: string): RegExp {
  const e = escapedForRegExp(escape)
  return new RegExp(`(?<!${e})${e}[ \t]*$`)
}

/**
 * A mark for dockerfile-ast, taken out of every text read from its tree:
 * dockerfile-ast continues a line that ends in two escapes, which BuildKit
 * does not (continuedLine), and the instruction on the next line became
 * part of this one. Put after them, the mark ends the line for it too.
 */
const LINE_ENDS = '\uE000'

/** dockerfile-ast's tree of the text, each line that ends in two escapes marked as one that goes no further (a comment's too: it is dropped anyway). */
function parseTree(text: string): ReturnType<typeof DockerfileParser.parse> {
  const doc = DockerfileParser.parse(text)
  const e = escapedForRegExp(doc.getEscapeCharacter())
  const doubled = new RegExp(`^(.*${e}${e})([ \t]*)$`, 'gm')
  if (text.includes(LINE_ENDS) || !doubled.test(text)) return doc
  return DockerfileParser.parse(text.replace(doubled, `$1${LINE_ENDS}$2`))
}

/**
 * An instruction continued over several lines, joined as Docker's parser
 * joins it: the escape character (and trailing blanks) ending a line goes
 * with the line break, and comment lines and empty lines in between are
 * dropped, indented or not.
 */
export function joinContinuations(raw: string, escape: string): string {
  const continued = continuedLine(escape)
  const lines = raw.split(/\r?\n/)
  let out = ''
  for (const [n, line] of lines.entries()) {
    if (n > 0 && (/^\s*#/.test(line) || line.trim() === '')) continue
    const m = continued.exec(line)
    // the escape ends a line, the instruction's last too (a file's end after it), as BuildKit trims it
    out += m ? line.slice(0, m.index) : line
  }
  return out
}

function convert(ast: AstInstruction, lines: string[], escape: string): Instruction {
  const range = ast.getRange()
  const line = range.start.line + 1
  const keyword = ast.getKeyword().toUpperCase()
  if (!KEYWORDS.has(keyword)) fail(line, `unknown instruction: ${ast.getKeyword()}`)
  const { flags, rest } = flagsOf(ast, keyword, line, lines, escape)
  let args = (rest ?? ast.getArgumentsContent() ?? '').replaceAll(LINE_ENDS, '')
  const heredocs = heredocsOf(ast, lines, args, keyword)
  if (heredocs.length > 0) args = args.slice(0, args.indexOf('\n') >>> 0)
  // an ONBUILD trigger with a heredoc keeps its lines: it is parsed again where it runs
  // (BuildKit's parseOnBuild keeps the bodies in the expression, each after a newline)
  else if (keyword === 'ONBUILD' && triggerHasHeredoc(ast)) args = args.trim()
  // continued over lines, read from the file's own (dockerfile-ast's raw arguments lose the line after a
  // comment that ends in two escapes); on one line, a file's last, whose final escape BuildKit trims too
  else if (rest === undefined && (range.end.line > range.start.line || continuedLine(escape).test(args))) {
    args = logicalLine(ast, lines, escape).replace(/^[ \t]+/, '')
  }
  if (args.trim() === '' && heredocs.length === 0) fail(line, `${keyword} requires at least one argument`)
  if (keyword === 'ONBUILD') checkTriggerKeyword(args, line)
  const json = heredocs.length === 0 ? jsonForm(args) : undefined
  return { keyword, line, endLine: range.end.line + 1, flags, args, ...(json ? { json } : {}), heredocs }
}

/**
 * The flags, and the arguments after them when there are any. dockerfile-ast
 * ends a flag at any blank, quoted or not (`target="/run/my secret"` would
 * end at `"/run/my`): where it finds a flag, the flags are read again from
 * the instruction's text as BuildKit's parser reads them (splitFlags).
 */
function flagsOf(ast: AstInstruction, keyword: string, line: number, lines: string[], escape: string): { flags: InstructionFlag[]; rest?: string } {
  const getFlags = (ast as unknown as { getFlags?: () => Flag[] }).getFlags
  if (typeof getFlags !== 'function' || getFlags.call(ast).length === 0) return { flags: [] }
  const allowed = FLAGS[keyword] ?? new Set<string>()
  const { words, rest } = splitFlags(logicalLine(ast, lines, escape), escape)
  const flags = words.map((word) => {
    const eq = word.indexOf('=')
    const name = eq < 0 ? word.slice(2) : word.slice(2, eq)
    if (!allowed.has(name)) fail(line, `unknown flag for ${keyword}: --${name}`)
    return { name, value: eq < 0 ? undefined : word.slice(eq + 1) }
  })
  return { flags, rest }
}

/**
 * The instruction's text after its keyword, continuations joined; with
 * heredocs, only the line that opens them (and the lines it continues on).
 */
function logicalLine(ast: AstInstruction, lines: string[], escape: string): string {
  const start = ast.getInstructionRange().end
  const end = ast.getRange().end
  const heredoc = ((ast as unknown as { getHeredocs?: () => Heredoc[] }).getHeredocs?.().length ?? 0) > 0
  const continued = continuedLine(escape)
  const taken: string[] = []
  for (let n = start.line; n <= end.line; n++) {
    let text = lines[n] ?? ''
    if (n === end.line) text = text.slice(0, end.character)
    if (n === start.line) text = text.slice(start.character)
    taken.push(text)
    const between = n > start.line && (/^\s*#/.test(text) || text.trim() === '')
    if (heredoc && !between && !continued.test(text)) break
  }
  return joinContinuations(taken.join('\n'), escape)
}

/**
 * The flag words in front of an instruction's arguments, and the arguments,
 * as BuildKit's parser splits them (extractBuilderFlags): words starting
 * with "--", up to the first that does not or a lone "--". A word ends at a
 * blank outside quotes; its quotes are taken out, and the escape character
 * takes the next character as it is, in quotes too. Values are expanded
 * later, where a step uses them, as BuildKit does.
 */
export function splitFlags(text: string, escape: string): { words: string[]; rest: string } {
  const words: string[] = []
  let n = 0
  for (;;) {
    while (n < text.length && /\s/.test(text[n]!)) n++
    if (!text.startsWith('--', n)) return { words, rest: text.slice(n) }
    let word = ''
    let quote = ''
    for (; n < text.length && (quote !== '' || !/\s/.test(text[n]!)); n++) {
      const ch = text[n]!
      if (ch === escape) {
        if (n + 1 < text.length) word += text[++n]
        else quote = ''
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch
      } else if (ch === quote) quote = ''
      else word += ch
    }
    if (word === '--') return { words, rest: text.slice(n).trimStart() }
    words.push(word)
  }
}

function triggerHasHeredoc(ast: AstInstruction): boolean {
  const trigger = (ast as unknown as { getTriggerInstruction?: () => { getHeredocs?: () => Heredoc[] } | null }).getTriggerInstruction?.()
  return (trigger?.getHeredocs?.().length ?? 0) > 0
}

/** A JSON array of strings, or undefined (then it is the shell form, as in Docker). */
function jsonForm(args: string): string[] | undefined {
  const trimmed = args.trim()
  if (!trimmed.startsWith('[')) return undefined
  try {
    const parsed: unknown = JSON.parse(trimmed)
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed as string[]
  } catch {
    // not JSON: the shell form
  }
  return undefined
}

function heredocsOf(ast: AstInstruction, lines: string[], args: string, keyword: string): HeredocBody[] {
  if (!['RUN', 'COPY', 'ADD'].includes(keyword)) return []
  const getHeredocs = (ast as unknown as { getHeredocs?: () => Heredoc[] }).getHeredocs
  if (typeof getHeredocs !== 'function') return []
  const firstLine = args.split('\n')[0] ?? ''
  return getHeredocs.call(ast).map((h) => {
    const name = h.getName()
    const marker = new RegExp(`<<(-?)(["']?)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\2`).exec(firstLine)
    const range = h.getContentRange()
    let body = range ? lines.slice(range.start.line, range.end.line + 1) : []
    if (marker?.[1] === '-') body = body.map((l) => l.replace(/^\t+/, ''))
    return { name, content: body.length ? body.join('\n') + '\n' : '', expand: !marker?.[2] }
  })
}

/**
 * The heredoc a word opens (`<<EOF`, `<<-"run-me.sh"`, `<<robots.txt`), by
 * BuildKit's rule `^(\d*)<<(-?)\s*([^<]*)$`, its name unquoted; undefined
 * when the word is not one.
 */
export function heredocName(word: string): string | undefined {
  const m = /^(\d*)<<(-?)\s*([^<]*)$/.exec(word)
  if (!m) return undefined
  const name = m[3]!.trim()
  const quoted = /^(["'])(.*)\1$/.exec(name)
  return quoted ? quoted[2] : name
}

/** BuildKit's parseOnBuild refuses these where ONBUILD is written, not only in the image built on it. */
function checkTriggerKeyword(args: string, line: number): void {
  const trigger = args.trim().split(/\s+/)[0]!.toUpperCase()
  if (trigger === 'ONBUILD') fail(line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
  if (trigger === 'FROM' || trigger === 'MAINTAINER') fail(line, `${trigger} isn't allowed as an ONBUILD trigger`)
}

/**
 * An ONBUILD trigger (`RUN make`) as the instruction it is, placed at
 * `line` (the FROM that runs it). ONBUILD, FROM and MAINTAINER cannot be
 * triggers (BuildKit's parser).
 */
export function parseTrigger(text: string, escape: string, line: number): Instruction {
  // an image's triggers may come from a builder that did not check them
  checkTriggerKeyword(text, line)
  const parsed = parseDockerfile(`# escape=${escape}\nFROM scratch\n${text}`).stages[0]?.instructions ?? []
  const i = parsed[0]
  if (!i || parsed.length > 1) fail(line, `ONBUILD trigger ${JSON.stringify(text)} is not one instruction`)
  return { ...i, line, endLine: line }
}

/** The value of a flag, or undefined; `--link` alone is "true". */
export function flagValue(i: Instruction, name: string): string | undefined {
  const found = i.flags.filter((f) => f.name === name)
  if (found.length > 1 && name !== 'mount' && name !== 'exclude') fail(i.line, `--${name} given more than once`)
  const f = found[0]
  return f === undefined ? undefined : (f.value ?? 'true')
}

export function flagValues(i: Instruction, name: string): string[] {
  return i.flags.filter((f) => f.name === name).map((f) => f.value ?? '')
}

/** The instruction as one line, for STEP lines and history. */
export function instructionText(i: Instruction): string {
  const flags = i.flags.map((f) => (f.value === undefined ? `--${f.name}` : `--${f.name}=${f.value}`))
  const body = i.heredocs.length ? [i.args, ...i.heredocs.map((h) => `${h.content}${h.name}`)].join('\n') : i.args.trim()
  return [i.keyword, ...flags, body].join(' ')
}
