/**
 * What `mini-run build` prints while it builds, in podman's shape:
 *
 *   [1/2] STEP 2/4: RUN make
 *   <the command's own output>
 *   --> 3f2a1b0c9d8e
 *   [1/2] STEP 3/4: COPY . .
 *   --> Using cache 7c1e...
 *   --> 7c1e0d4f9a2b
 *   COMMIT app:1.0
 *
 * plain: the lines above, RUN's output straight to our stdout and stderr.
 * tty: the same step lines, but RUN's output scrolls in a window of its
 * last lines under the running step, which is cleared when the step ends
 * (and printed whole if it fails); the step line shows the time taken.
 * quiet (-q): nothing but the final id; RUN's output is kept, and printed
 * on failure only.
 *
 * With `-o -` stdout is the tar: the lines, and RUN's output, go to stderr
 * (`out`), as buildx's progress always does.
 */
import type { BuildEvent } from '../build/build-options.js'
import type { RunOutput } from '../build/run-step.js'

export type ProgressMode = 'plain' | 'tty' | 'quiet'

const WINDOW = 6
const KEEP_BYTES = 64 * 1024

export class BuildProgress {
  readonly mode: ProgressMode
  readonly #out: NodeJS.WriteStream
  /** tty and quiet: the running step's output. */
  #captured = ''
  #windowLines = 0
  #stepStart = 0

  constructor(mode: ProgressMode, out: NodeJS.WriteStream = process.stdout) {
    this.mode = mode
    this.#out = out
  }

  /** Where RUN's output goes in this mode. */
  get output(): RunOutput {
    if (this.mode === 'plain') return { fds: [this.#out === process.stderr ? 2 : 1, 2] }
    return { onData: (chunk) => this.#onData(chunk) }
  }

  event(e: BuildEvent): void {
    switch (e.type) {
      case 'step': {
        this.#endWindow()
        this.#captured = ''
        this.#stepStart = Date.now()
        const stage = e.stages > 1 ? `[${e.stage}/${e.stages}] ` : ''
        this.#line(`${stage}STEP ${e.step}/${e.steps}: ${e.text}`)
        break
      }
      case 'cached':
        this.#line(`--> Using cache ${e.id.slice(7)}`)
        break
      case 'done':
        this.#endWindow()
        this.#line(`--> ${e.id.slice(7, 19)}${this.mode === 'tty' && !e.cached ? ` (${((Date.now() - this.#stepStart) / 1000).toFixed(1)}s)` : ''}`)
        break
      case 'warning':
        this.#endWindow()
        process.stderr.write(`WARNING: ${e.message}\n`)
        break
      case 'commit':
        this.#line(`COMMIT${e.names.length ? ` ${e.names.join(' ')}` : ''}`)
        break
      case 'export':
        this.#line(`EXPORT ${e.output} ${e.dest}`)
        break
    }
  }

  /** The build failed: show what the failing step printed, where it was hidden. */
  failed(): void {
    this.#endWindow()
    if (this.mode !== 'plain' && this.#captured !== '') {
      process.stderr.write(this.#captured.endsWith('\n') ? this.#captured : `${this.#captured}\n`)
    }
  }

  #line(text: string): void {
    if (this.mode !== 'quiet') this.#out.write(`${text}\n`)
  }

  #onData(chunk: Buffer): void {
    this.#captured = (this.#captured + chunk.toString('utf8')).slice(-KEEP_BYTES)
    if (this.mode !== 'tty') return
    const lines = this.#captured.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1)
    const shown = lines.slice(-WINDOW).map((l) => `\x1b[2m  ${truncate(l, (this.#out.columns || 80) - 3)}\x1b[0m`)
    // back over the previous window, then the new one
    const up = this.#windowLines > 0 ? `\x1b[${this.#windowLines}A` : ''
    this.#out.write(`${up}\r\x1b[J${shown.join('\n')}\n`)
    this.#windowLines = shown.length
  }

  #endWindow(): void {
    if (this.#windowLines > 0) this.#out.write(`\x1b[${this.#windowLines}A\r\x1b[J`)
    this.#windowLines = 0
  }
}

function truncate(line: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
  return plain.length > width ? `${plain.slice(0, Math.max(0, width - 1))}~` : plain
}
