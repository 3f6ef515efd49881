/**
 * How compose's progress reaches stderr, as docker compose's global flags
 * set it: --progress auto|tty|plain|json|quiet (or COMPOSE_PROGRESS) and
 * --ansi never|always|auto (or COMPOSE_ANSI), read once per command by the
 * compose command's preAction hook (commands/compose.ts).
 *
 * mini-run draws no progress bars: auto and tty print the plain lines
 * (" Container p-web-1  Started"). json prints each event as docker
 * compose's JSON writer does ({"id":"Container p-web-1","status":"Done",
 * "text":"Started"}), a warning as its logrus JSON formatter does, and the
 * verb's error as {"error":true,"message":...}: a stream a program can read
 * line by line. quiet prints warnings alone.
 */
import type { ComposeEvent } from '../../compose/compose-context.js'
import { UsageError } from '../../errors.js'
import { errorsAsJson } from '../error-line.js'
import { localRfc3339 } from '../local-time.js'
import { setWarningSink } from '../../warning-line.js'

type Progress = 'plain' | 'json' | 'quiet'
/** docker compose takes any --ansi value: what is neither never nor always is auto. */
type Ansi = 'never' | 'always' | 'auto'

let progress: Progress = 'plain'
let ansi: Ansi = 'auto'

/** The global flags' values (undefined: not given), checked as docker compose's selectEventProcessor does. */
export function setDisplay(flags: { progress?: string; ansi?: string; parallel?: string }): void {
  const given = flags.ansi ?? process.env.COMPOSE_ANSI
  const a: Ansi = given === 'never' || given === 'always' ? given : 'auto'
  if (flags.parallel !== undefined && !/^-?\d+$/.test(flags.parallel)) throw new UsageError(`invalid --parallel "${flags.parallel}": a number, -1 for no limit`)
  const p = flags.progress ?? process.env.COMPOSE_PROGRESS ?? ''
  if (p === 'tty' && a === 'never') throw new UsageError("can't use --progress tty while ANSI support is disabled")
  if (p === 'plain' && a === 'always') throw new UsageError("can't use --progress plain while ANSI support is forced")
  if (p === '' || p === 'auto' || p === 'tty' || p === 'plain') progress = 'plain'
  else if (p === 'quiet' || p === 'none') progress = 'quiet'
  else if (p === 'json') progress = 'json'
  else throw new UsageError(`unsupported --progress value "${p}" (auto, tty, plain, json or quiet)`)
  ansi = a
  if (progress === 'json') {
    errorsAsJson()
    setWarningSink((message) => printEvent({ kind: 'warning', message }))
  }
}

/** --progress quiet or json: a build's own lines and its RUN output are not shown. */
export function buildOutputHidden(): boolean {
  return progress !== 'plain'
}

/** A line of a build, in json mode: an event of its image, which Building and Built lines frame (docker compose's build is a bake, whose JSON is BuildKit's). */
export function printBuildLine(image: string, line: string): void {
  if (progress === 'json') writeJson({ id: `Image ${image}`, status: 'Working', text: 'Building', details: line })
}

/** Attached up's first Ctrl-C: the services are being stopped (docker compose's up.go says it as an event of Compose's). */
export function printStopping(): void {
  if (progress === 'json') writeJson({ id: 'Compose', status: 'Working', text: 'Stopping', details: 'Gracefully Stopping... press Ctrl+C again to force' })
  else if (progress === 'plain') process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n')
}

/** docker compose's api.Resource status: Working while it goes on, else Done, Warning or Error. */
function statusOf(text: string): string {
  if (text === 'Error' || text === 'Warning') return text
  return (/ing$/.test(text) && text !== 'Running') || text === 'Recreate' ? 'Working' : 'Done'
}

export function printEvent(e: ComposeEvent): void {
  if (e.kind === 'warning') {
    if (progress === 'json') writeJson({ level: 'warning', msg: e.message, time: localRfc3339(new Date()) })
    else process.stderr.write(`WARNING: ${e.message}\n`)
  } else if (progress === 'quiet') {
    // warnings alone
  } else if (e.kind === 'hook') {
    if (progress === 'json') writeJson({ id: `Container ${e.name}`, status: 'Working', text: 'Hook', details: e.line })
    else process.stderr.write(`${e.name} -> ${e.line}\n`)
  } else if (progress === 'json') {
    writeJson({ id: `${e.kind} ${e.name}`, status: e.level ?? statusOf(e.status), text: e.status })
  } else process.stderr.write(` ${e.kind} ${e.name}  ${e.status}\n`)
}

/** Colours in the services' log prefixes: --no-color and --ansi never take them away, --ansi always forces them. */
export function prefixColors(noColor: boolean | undefined): boolean {
  // NO_COLOR wins over --ansi always, as docker compose's applyAnsiMode has it
  if (noColor === true || ansi === 'never' || process.env.NO_COLOR) return false
  return ansi === 'always' || process.stdout.isTTY === true
}

function writeJson(value: Record<string, string>): void {
  process.stderr.write(`${JSON.stringify(value)}\n`)
}
