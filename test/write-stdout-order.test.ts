// writeStdout (src/cli/write-stdout.ts) writes to fd 1 with write(2), and
// hands what a full, non-blocking pipe refuses to process.stdout, which
// queues it. What follows must queue behind it: `rm -f` of many containers
// prints a name each, with awaits between, into a reader that may be slow.
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'

const PROJECT = new URL('..', import.meta.url).pathname

// 3000 lines of 100 bytes (300 kB, several pipe's worth), an await every 5; stderr made, which
// makes the pipe both share non-blocking (libuv), so that writes to fd 1 meet EAGAIN
const CHILD = `
import { writeStdout } from ${JSON.stringify(`${PROJECT}dist/cli/write-stdout.js`)}
import { endQuietlyWhenReaderGone } from ${JSON.stringify(`${PROJECT}dist/cli/stdout-reader-gone.js`)}
endQuietlyWhenReaderGone()
process.stderr.write('')
for (let i = 0; i < 3000; i++) {
  writeStdout(String(i).padStart(99, '.') + '\\n')
  if (i % 5 === 0) await new Promise((r) => setImmediate(r))
}
`

/** The child's lines, read slowly: a pause of 2 ms after each chunk. */
function slowlyRead(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'exec node --input-type=module -e "$0" 2>&1', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      child.stdout.pause()
      setTimeout(() => child.stdout.resume(), 2)
    })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(text.split('\n').filter(Boolean).map((l) => l.replace(/^\.+/, ''))) : reject(new Error(`exit ${code}`))))
  })
}

describe('writeStdout', () => {
  it('keeps the lines in order when a slow reader leaves the pipe full', async () => {
    for (let run = 0; run < 3; run++) {
      const lines = await slowlyRead()
      expect(lines.length).toBe(3000)
      expect(lines.findIndex((l, i) => l !== String(i))).toBe(-1)
    }
  })
})
