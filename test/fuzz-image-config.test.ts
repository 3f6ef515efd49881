// Issue 13, bad input: an image's config is outside input too (a registry's,
// an archive's). Property-based tests (fast-check) plan a run (everything
// `run --explain` does: the spec, the user from the image's /etc/passwd,
// the volumes, the plan) from configs of any shape: odd users, huge or odd
// environments, working directories and volumes with "..", wrong types.
// Every one gives a plan or a MiniRunError of one line, never another
// exception, and planning writes nothing, in the store or in the image.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MiniRunError } from '../src/errors.js'
import { prepareContainer } from '../src/runtime/container/prepare.js'
import { BUSYBOX_ROOTFS } from './helpers/test-env.js'

const RUNS = Number(process.env.MINI_RUN_FUZZ_RUNS ?? 3000)

/** Every path under dir with its mtime and size: what planning must leave as it was. */
function snapshot(dir: string): string {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      const st = statSync(p, { throwIfNoEntry: false })
      out.push(`${p} ${st?.mtimeMs ?? '-'} ${st?.size ?? '-'}`)
      if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return out.join('\n')
}

describe('image configs from anywhere (fast-check)', () => {
  let sandbox: string
  let layer: string
  beforeAll(() => {
    sandbox = mkdtempSync(join(tmpdir(), 'mini-run-fuzz-config-'))
    // a layer of the store's shape: <store>/layers/<id>/fs
    layer = join(sandbox, 'store', 'layers', 'a'.repeat(64), 'fs')
    mkdirSync(join(layer, '..'), { recursive: true })
    cpSync(BUSYBOX_ROOTFS, layer, { recursive: true, verbatimSymlinks: true })
  })
  afterAll(() => {
    if (sandbox) rmSync(sandbox, { recursive: true, force: true })
  })

  const pathArb = fc.oneof(
    fc.constantFrom('/', '/tmp', '/app', '../..', '/../../etc', '/etc/passwd', '/proc', '/dev/shm', '/a/../../b', 'relative/dir', '', '/a\nb', '/sys/kernel'),
    fc.string({ maxLength: 50 }),
  )
  /** The field's type, mostly; now and then anything at all. */
  const typed = <T,>(...arbs: fc.Arbitrary<T>[]) => fc.oneof({ arbitrary: fc.oneof(...arbs), weight: 12 }, { arbitrary: fc.anything() as fc.Arbitrary<unknown>, weight: 1 })
  const configArb = fc.record(
    {
      User: typed<unknown>(
        fc.constantFrom('root', '0', '0:0', 'nobody', '65534:65534', 'daemon:nogroup', 'nosuchuser', '4294967295', '-1', '1:2:3', ':', 'root:', ':root', '99999999999999999999', 'bin:0'),
        fc.string({ maxLength: 30 }),
      ),
      Env: typed<unknown>(
        fc.array(fc.oneof(fc.constantFrom('PATH=/bin', 'A=1', 'NOEQUALS', '=nokey', 'A=b=c', 'HOME=', 'X=\n'), fc.string({ maxLength: 40 })), { maxLength: 10 }),
        fc.constant(Array.from({ length: 2000 }, (_, i) => `VAR${i}=${'v'.repeat(100)}`)),
        fc.constant(['BIG=' + 'x'.repeat(200_000)]),
      ),
      Entrypoint: typed<unknown>(fc.constant(null), fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 })),
      Cmd: typed<unknown>(fc.constant(['sh']), fc.constant(null), fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 })),
      WorkingDir: typed<unknown>(pathArb),
      StopSignal: typed<unknown>(fc.constantFrom('SIGTERM', 'SIGKILL', '9', 'SIGRTMIN+3', 'SIGNOPE', '0', '65', '-1'), fc.string({ maxLength: 10 })),
      Volumes: typed<unknown>(fc.constant(null), fc.dictionary(pathArb, fc.constant({}), { maxKeys: 3 })),
    },
    { requiredKeys: [] },
  )

  it('a plan or one MiniRunError line; the store and the image are left as they were', async () => {
    const before = snapshot(sandbox)
    const outcomes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), async (config, command) => {
        try {
          const prepared = await prepareContainer(
            {
              image: 'fuzz/image',
              command,
              storeRoot: join(sandbox, 'store'),
              stateRoot: join(sandbox, 'state'),
              cgroupParent: '',
              resolveImage: async () => ({ name: 'fuzz/image', config: { config: config as never }, layerDirs: [layer] }),
            },
            true,
          )
          expect(prepared.plan.child.length).toBeGreaterThan(0)
          outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1)
          expect(prepared.spec.process.cwd.startsWith('/')).toBe(true)
        } catch (err) {
          if (!(err instanceof MiniRunError) || /[\n\r]/.test(err.message)) throw err
          outcomes.set(err.code, (outcomes.get(err.code) ?? 0) + 1)
        }
      }),
      { numRuns: RUNS },
    )
    expect(snapshot(sandbox)).toBe(before)
    // odd, not hopeless: some configs plan, others fail as the image's or the user's fault
    expect(outcomes.get('ok')).toBeGreaterThan(RUNS / 30)
    expect(outcomes.get('EBADCONFIG')).toBeGreaterThan(0)
  }, 300_000)
})
