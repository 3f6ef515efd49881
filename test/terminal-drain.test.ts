// run -t and exec -t relay the container's pty master to the caller. When
// the container's last process exits, the master polls as hung up while it
// still holds the last of the output, and a read in raw mode returns at most
// the line discipline's 4 KiB: libuv alone calls that first short read the
// end of file, and the rest was lost (a `run -t ... seq 1 20000 | tail -1`
// printed 19266 about one run in 40). The relay reads on to the EIO.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PTY_DRAIN = fileURLToPath(new URL('./helpers/pty-drain.py', import.meta.url))
const python = spawnSync('python3', ['--version']).status === 0

describe.skipIf(!python)('the -t relay drains a hung-up pty (needs python3 for openpty)', () => {
  it('relays all a pty holds when its slave has closed before the first read', () => {
    // 12000 bytes: three reads' worth, and less than a pty nobody reads takes (about 15 KB)
    const r = spawnSync('python3', [PTY_DRAIN, '12000'], { maxBuffer: 1 << 20 })
    expect(r.status).toBe(0)
    expect(r.stdout.length).toBe(12000)
    expect(r.stdout.every((b) => b === 0x78)).toBe(true)
  })

  it('makes the master non-blocking (libuv leaves a master blocking): input and the drain never block the runtime', () => {
    const r = spawnSync('python3', [PTY_DRAIN, '100'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    // fdinfo's flags are octal; O_NONBLOCK is 04000
    expect(Number.parseInt(r.stderr.trim(), 8) & 0o4000).toBe(0o4000)
  })
})
