// import (and image import): a root filesystem's tarball made an image, as
// `docker import` makes it: from a file, stdin or an http URL, in any of
// Docker's five compressions, with --change, --message and --platform; and
// a broken or hostile archive refused in one line, nothing left in the store.
import { execFileSync } from 'node:child_process'
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { layerTar } from '../src/image/oci-layout.js'
import { miniRunAsync } from './helpers/cli.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, FIXTURES, isRoot, settledStoreTmp } from './helpers/test-env.js'

const hasTool = (tool: string) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe.skipIf(!isRoot)('import (needs root: it runs what it imports)', () => {
  const cli = useCliEnv()
  let tar: string
  let work: string

  beforeAll(() => {
    work = mkdtempSync(join(cli.env.dir, 'import-'))
    tar = join(work, 'fs.tar')
    cli.ok(['run', '--name', 'src', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo imported > /hello'])
    cli.ok(['export', '-o', tar, 'src'])
    cli.ok(['rm', 'src'])
  })

  const runImage = (image: string, ...cmd: string[]) => cli.ok(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, image, ...cmd])
  const inspect = (image: string) => JSON.parse(cli.ok(['image', 'inspect', image]))[0] as Record<string, any>

  it('a file, named, with --change: runs the exported files with the config the changes made; history as Docker writes it', () => {
    const id = cli.ok(['import', '-c', 'CMD ["cat", "/hello"]', '-c', 'ENV GREETING=hi', '-c', 'WORKDIR /tmp', tar, 'imported:file'])
    expect(id).toMatch(/^sha256:[0-9a-f]{64}\n$/)
    expect(runImage('imported:file')).toBe('imported\n')
    expect(runImage('imported:file', 'sh', '-c', 'echo $GREETING; pwd')).toBe('hi\n/tmp\n')
    const image = inspect('imported:file')
    expect(image.Id).toBe(id.trim())
    expect(image.RepoTags).toEqual(['imported:file'])
    expect(image.Config.Cmd).toEqual(['cat', '/hello'])
    expect(image.Comment).toBe('Imported from -')
    expect(image.RootFS.Layers).toHaveLength(1)
    const history = cli.ok(['history', '--format', '{{.Comment}}|{{.CreatedBy}}', 'imported:file'])
    expect(history).toBe('Imported from -|\n')
    // no command: Docker's refusal when the image has none and the line gives none
    cli.ok(['import', tar, 'imported:nocmd'])
    const r = cli.env.run(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, 'imported:nocmd'])
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 125, stderr: 'mini-run: no command specified\n' })
    // `image import` is the same verb; without a name the image is known by its id
    const untagged = cli.ok(['image', 'import', '-m', 'from a file', tar]).trim()
    expect(inspect(untagged)).toMatchObject({ RepoTags: [], Comment: 'from a file' })
    cli.ok(['rmi', 'imported:file', 'imported:nocmd', untagged])
  })

  const compressions: [string, string[]][] = [
    ['none', ['cat']],
    ['gzip', ['gzip', '-c']],
    ['xz', ['xz', '-c']],
    ['bzip2', ['bzip2', '-c']],
    ['zstd', ['zstd', '-q', '-c']],
  ]
  for (const [name, compress] of compressions) {
    it.skipIf(!hasTool(compress[0]!))(`stdin, ${name}: the same layer whatever the compression${name === 'none' ? '' : ` (skipped without ${compress[0]}, which makes the archive)`}`, () => {
      const input = execFileSync(compress[0]!, [...compress.slice(1), tar], { maxBuffer: 64 << 20 })
      const id = cli.ok(['import', '--platform', 'linux/arm64', '-', `imported:${name}`], { input, maxBuffer: 64 << 20 })
      const image = inspect(`imported:${name}`)
      expect({ os: image.Os, arch: image.Architecture, id: image.Id }).toEqual({ os: 'linux', arch: 'arm64', id: id.trim() })
      // the diff id is the plain tar's digest, whatever came in
      const digest = `sha256:${execFileSync('sha256sum', [tar], { encoding: 'utf8' }).split(' ')[0]}`
      expect(image.RootFS.Layers).toEqual([digest])
      cli.ok(['rmi', `imported:${name}`])
    })
  }

  describe('from a URL', () => {
    let server: Server
    let base: string
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/fs.tar.gz') {
          res.end(execFileSync('gzip', ['-c', tar], { maxBuffer: 64 << 20 }))
        } else {
          res.statusCode = 404
          res.end('no')
        }
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('reads an http URL; the history names it; a missing one is one line', async () => {
      const ok = await miniRunAsync(['--root', cli.env.storeRoot, '--state', cli.env.stateRoot, 'import', '-c', 'CMD cat /hello', `${base}/fs.tar.gz`, 'imported:url']).done
      expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: '' })
      expect(inspect('imported:url').Comment).toBe(`Imported from ${base}/fs.tar.gz`)
      expect(runImage('imported:url')).toBe('imported\n')
      cli.ok(['rmi', 'imported:url'])
      const missing = await miniRunAsync(['--root', cli.env.storeRoot, '--state', cli.env.stateRoot, 'import', `${base}/nothing.tar`, 'imported:none']).done
      expect({ status: missing.status, stderr: missing.stderr }).toEqual({ status: 1, stderr: `mini-run: import from ${base}/nothing.tar: 404 Not Found\n` })
    })
  })

  /** The store's image names, layer directories and tmp/ entries. */
  const storeState = () => {
    const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : [])
    return { refs: list(join(cli.env.storeRoot, 'refs')), layers: list(join(cli.env.storeRoot, 'layers')), tmp: settledStoreTmp(cli.env.storeRoot).sort() }
  }

  it('refuses what is not an archive, an empty stdin, a missing file and a wrong --change: one line, exit 1, nothing added', () => {
    const before = storeState()
    const cases: [string[], string | Buffer | undefined, RegExp][] = [
      [['import', '-', 'bad:junk'], 'this is not a tar archive\n', /^mini-run: not a root filesystem archive the store takes: .+\n$/],
      [['import', '-', 'bad:empty'], '', /^mini-run: the archive is empty\n$/],
      [['import', join(work, 'nosuch.tar'), 'bad:missing'], undefined, /^mini-run: open .*nosuch\.tar: no such file or directory\n$/],
      [['import', '-c', 'RUN echo x', tar, 'bad:change'], undefined, /^mini-run: --change "RUN echo x": RUN is not a valid change command\n$/],
      [['import', '-', 'bad:xz'], Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from('broken')]), /^mini-run: xz -d: .+\n$/],
      // Docker's refusal, before anything is read
      [['import', tar, `bad@sha256:${'0'.repeat(64)}`], undefined, /^mini-run: invalid reference "bad@sha256:0{64}": cannot import digest reference\n$/],
    ]
    for (const [args, input, stderr] of cases) {
      const r = cli.env.run(args, input === undefined ? {} : { input })
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 1, stdout: '' })
      expect(r.stderr).toMatch(stderr)
    }
    expect(storeState()).toEqual(before)
  })

  it('a broken archive on a stdin its writer keeps open ends the import at once, not at the end of the input', async () => {
    const before = storeState()
    const r = miniRunAsync(['--root', cli.env.storeRoot, '--state', cli.env.stateRoot, 'import', '-', 'bad:open'], { stdio: ['pipe', 'pipe', 'pipe'] })
    r.child.stdin!.write(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not a gzip stream at all')]))
    try {
      const ended = await Promise.race([r.done, new Promise<undefined>((resolve) => setTimeout(resolve, 30_000, undefined))])
      expect(ended).toMatchObject({ status: 1, stderr: expect.stringMatching(/^mini-run: .+\n$/) })
    } finally {
      r.child.stdin!.end()
      r.child.kill('SIGKILL')
    }
    expect(storeState()).toEqual(before)
  })

  it('an archive whose member names are absolute (tar -P: /bin/sh, a hardlink to /hello) imports as Docker takes it, /x as ./x; "/../x" still climbs out and is refused', async () => {
    const root = join(work, 'abs-root')
    mkdirSync(root)
    execFileSync('tar', ['-xf', tar, '-C', root])
    linkSync(join(root, 'hello'), join(root, 'hello-again'))
    const abs = join(work, 'abs.tar')
    // every name and hardlink target given a leading "/", which -P keeps; symlink targets as they were
    execFileSync('tar', ['-C', root, '-cPf', abs, '--transform', 's,^,/,S', ...readdirSync(root)])
    const names = execFileSync('tar', ['-tvPf', abs], { encoding: 'utf8', maxBuffer: 64 << 20 })
    expect(names).toMatch(/ \/bin\/sh -> /)
    expect(names).toMatch(/ \/hello-again link to \/hello\n/)
    cli.ok(['import', '-c', 'CMD ["cat", "/hello", "/hello-again"]', abs, 'imported:absolute'])
    expect(runImage('imported:absolute')).toBe('imported\nimported\n')
    expect(runImage('imported:absolute', 'stat', '-c', '%h', '/hello')).toBe('2\n')
    cli.ok(['rmi', 'imported:absolute'])
    const before = storeState()
    const climbs = await layerTar([{ path: '/../escape.txt', type: 'file', content: 'x' }])
    const r = cli.env.run(['import', '-', 'bad:climbs'], { input: climbs })
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' })
    expect(r.stderr).toMatch(/^mini-run: not a root filesystem archive the store takes: layer sha256:[0-9a-f]{64}: entry "\.\.\/escape\.txt".*\n$/)
    expect(storeState()).toEqual(before)
  })

  it('an empty --message is none, as Docker takes it', () => {
    cli.ok(['import', '-m', '', tar, 'imported:nomsg'])
    expect(inspect('imported:nomsg').Comment).toBe('Imported from -')
    cli.ok(['rmi', 'imported:nomsg'])
  })

  it('a hostile archive (an entry that climbs out, a write through a symlink) is refused by the store\'s checks: nothing written, nothing added', () => {
    const before = storeState()
    for (const name of ['dotdot-path', 'symlink-then-write-through', 'hardlink-absolute']) {
      const file = join(FIXTURES, 'hostile', `${name}.tar`)
      const r = cli.env.run(['import', file, `bad:${name}`])
      expect({ name, status: r.status, lines: r.stderr.split('\n').length }).toEqual({ name, status: 1, lines: 2 })
      expect(r.stderr).toMatch(/^mini-run: not a root filesystem archive the store takes: layer sha256:[0-9a-f]{64}: entry /)
    }
    expect(storeState()).toEqual(before)
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(cli.env.storeRoot)
  })
})
