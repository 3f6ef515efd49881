// Issue 13, bad input: property-based tests (fast-check) over what users
// type: image references, -v, --mount, --tmpfs and --ulimit specs, mount
// options. Every input gets a result or a MiniRunError of one line (the
// input it names is quoted, a newline in it included), never another
// exception. Where a result comes back, it holds what the parser promises.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MiniRunError } from '../src/errors.js'
import { parseReference } from '../src/image/reference.js'
import { parseMountOptions } from '../src/runtime/spec/mount-options.js'
import { parseUlimit } from '../src/runtime/spec/ulimits.js'
import { parseMount, parseTmpfs, parseVolume, volumesFromFlags } from '../src/runtime/spec/volumes.js'

const RUNS = Number(process.env.MINI_RUN_FUZZ_RUNS ?? 3000)

/** fn(input) returns, or throws a MiniRunError whose message is one line; returns the result or undefined. */
function resultOrOneLine<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    if (!(err instanceof MiniRunError)) throw err
    expect(err.message).not.toMatch(/[\n\r]/)
    return undefined
  }
}

/** Strings made of the pieces these syntaxes are made of, and of anything. */
function piecesOf(pieces: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((a) => a.join('')),
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  )
}

describe('image references (fast-check)', () => {
  it('parse to a normalized name that parses to itself, or one line', () => {
    const ref = piecesOf(['docker.io/', 'localhost:5000/', 'library/', 'a', 'B', '/', ':', '@', 'sha256:', 'a'.repeat(64), ':latest', '..', '-', '_', '.', '\n', ' '])
    fc.assert(
      fc.property(ref, (r) => {
        const parsed = resultOrOneLine(() => parseReference(r))
        if (parsed) expect(parseReference(parsed.name).name).toBe(parsed.name)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('-v, --mount, --tmpfs, --ulimit and mount options (fast-check)', () => {
  const cwd = '/work/dir'
  const volume = piecesOf(['/', '/host', './rel', '../up', ':', '/ctr', ':ro', ':rw', ':z', ',nocopy', 'name', '\0', '\n', '//', '.', '/proc', '/dev'])
  const mount = piecesOf(['type=', 'bind', 'volume', 'tmpfs', 'src=', 'source=', 'dst=', 'target=', 'destination=', ',', '=', 'readonly', 'ro=', 'true', 'false', 'tmpfs-size=', '64m', 'tmpfs-mode=', '0755', 'volume-nocopy', 'bind-propagation=', 'rshared', '/a', './b', '"', '\n'])
  const tmpfs = piecesOf(['/run', ':', 'size=', '64m', 'mode=', '1777', ',', 'noexec', 'exec', 'uid=', '0', '\n'])
  const ulimit = piecesOf(['nofile', 'nproc', 'core', 'NOFILE', '=', ':', '-1', '1024', '99999999999999999999', '0', ' ', '\n', 'x'])
  const options = fc.array(piecesOf(['ro', 'rw', 'nosuid', 'nodev', 'noexec', 'bind', 'rbind', 'rprivate', 'mode=', '755', 'size=', '1g', 'uid=', '=', ',']), { maxLength: 6 })

  it('-v: a planned mount at an absolute, normalized path inside the container, or one line', () => {
    fc.assert(
      fc.property(volume, (v) => {
        const planned = resultOrOneLine(() => parseVolume(v, cwd))
        if (planned) {
          expect(planned.mount.destination.startsWith('/')).toBe(true)
          expect(planned.mount.destination.split('/')).not.toContain('..')
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('--mount: the same', () => {
    fc.assert(
      fc.property(mount, (m) => {
        const planned = resultOrOneLine(() => parseMount(m, cwd))
        if (planned) expect(planned.mount.destination.split('/')).not.toContain('..')
      }),
      { numRuns: RUNS },
    )
  })

  it('--tmpfs and several flags together: the same', () => {
    fc.assert(
      fc.property(tmpfs, fc.array(volume, { maxLength: 3 }), fc.array(mount, { maxLength: 2 }), (t, vs, ms) => {
        resultOrOneLine(() => parseTmpfs(t))
        resultOrOneLine(() => volumesFromFlags({ volumes: vs, mounts: ms, tmpfs: [t] }, cwd))
      }),
      { numRuns: RUNS },
    )
  })

  it('--ulimit: soft at most hard, both whole numbers, or one line', () => {
    fc.assert(
      fc.property(ulimit, (u) => {
        const r = resultOrOneLine(() => parseUlimit(u))
        if (r) {
          expect(Number.isSafeInteger(r.soft) || r.soft === 2 ** 64).toBe(true)
          expect(r.soft <= r.hard).toBe(true)
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('mount options: flags and data, or one line', () => {
    fc.assert(
      fc.property(options, (o) => {
        resultOrOneLine(() => parseMountOptions(o))
      }),
      { numRuns: RUNS },
    )
  })
})
