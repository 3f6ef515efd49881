// The -t relay's output half on a pty master given by fd number (see pty-drain.py);
// its file flags once attached go to stderr (the fdinfo "flags:" line, octal).
import { readFileSync } from 'node:fs'
const dist = process.env.MINI_RUN_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { attachTerminal } = await import(`${dist}/runtime/process/terminal.js`)
const master = Number(process.argv[2])
const relay = attachTerminal(master, { input: false })
process.stderr.write(/^flags:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${master}`, 'utf8'))[1] + '\n')
await relay.finished()
