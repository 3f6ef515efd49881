// The -t relay's output half on a pty master given by fd number (see pty-drain.py).
const dist = process.env.MINI_RUN_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { attachTerminal } = await import(`${dist}/runtime/process/terminal.js`)
await attachTerminal(Number(process.argv[2]), { input: false }).finished()
