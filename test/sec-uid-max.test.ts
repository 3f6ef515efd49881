// The security issue's item 9: an image whose User is `app`, with
// `app:x:4294967295:4294967295` in its /etc/passwd, ran as uid 0 with the
// default capabilities: (uid_t)-1 tells setresuid(2) "unchanged". "0x0" and
// "1e3" were taken as uids too (Number()). Ids in the image's files are
// decimal and below 2^32-1; a line with anything else is refused, naming the
// file and line, when the run asks for its user or group.
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { UsageError } from '../src/errors.js'
import { parseFileId, parseGroup, parsePasswd, resolveGroup, resolveUser } from '../src/runtime/spec/resolve-user.js'
import { BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:4294967295:4294967295:app:/home/app:/bin/sh',
  'hex:x:0x0:0:hex:/:/bin/sh',
  'good:x:1000:1000:good:/home/good:/bin/sh',
  '',
].join('\n')
const GROUP = ['root:x:0:', 'bad:x:1e3:good', 'fine:x:2000:', ''].join('\n')

describe('ids in /etc/passwd and /etc/group', () => {
  it('are decimal digits, 0 to 4294967294, and nothing else', () => {
    for (const bad of ['4294967295', '4294967296', '99999999999999999999', '0x0', '1e3', '-1', ' 1', '1 ', '', '+1', '1.0', '١']) {
      expect(parseFileId(bad), JSON.stringify(bad)).toBeUndefined()
    }
    expect(parseFileId('0')).toBe(0)
    expect(parseFileId('4294967294')).toBe(4294967294)
    expect(parseFileId('007')).toBe(7)
  })

  it('make a line unusable, and an error naming the file and line when its name is asked for', () => {
    const passwd = parsePasswd(PASSWD)
    const groups = parseGroup(GROUP)
    expect(() => resolveUser('app', passwd, groups)).toThrow(new UsageError('/etc/passwd line 2: invalid uid "4294967295" for user app'))
    expect(() => resolveUser('hex', passwd, groups)).toThrow('/etc/passwd line 3: invalid uid "0x0" for user hex')
    expect(() => resolveUser('root:bad', passwd, groups)).toThrow('/etc/group line 2: invalid gid "1e3" for group bad')
    expect(() => resolveGroup('bad', groups)).toThrow('/etc/group line 2: invalid gid "1e3" for group bad')
    // a group line listing the user is the user's business too
    expect(() => resolveUser('good', passwd, groups)).toThrow('/etc/group line 2: invalid gid "1e3" for group bad')
    expect(() => resolveUser('4294967295', passwd, groups)).toThrow('invalid user id: 4294967295')
  })

  it('report the gid when the uid is fine, and each odd spelling as written', () => {
    for (const [uid, gid, message] of [
      ['1000', '-1', 'invalid gid "-1"'], [' 1', '1', 'invalid uid " 1"'], ['1 ', '1', 'invalid uid "1 "'], ['', '1', 'invalid uid ""'],
      ['1e3', '1', 'invalid uid "1e3"'],
    ] as const) {
      const passwd = parsePasswd(`u:x:${uid}:${gid}::/:/bin/sh\n`)
      expect(() => resolveUser('u', passwd, []), `${uid}:${gid}`).toThrow(`/etc/passwd line 1: ${message} for user u`)
    }
    expect(() => resolveUser('u', parsePasswd('u:x\n'), [])).toThrow('/etc/passwd line 1: invalid uid "" for user u')
  })

  it('do not matter on other users\' lines', () => {
    const passwd = parsePasswd(PASSWD)
    const groups = parseGroup(['root:x:0:', 'bad:x:1e3:someone', 'fine:x:2000:good', ''].join('\n'))
    expect(resolveUser('good', passwd, groups)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 2000], home: '/home/good' })
    expect(resolveUser('', passwd, groups)).toEqual({ uid: 0, gid: 0, additionalGids: [0], home: '/root' })
    expect(resolveUser('0', passwd, groups)).toMatchObject({ uid: 0, gid: 0 })
    expect(resolveUser('4294967294', passwd, groups)).toEqual({ uid: 4294967294, gid: 0, additionalGids: [0], home: '/' })
    expect(resolveUser('good:fine', passwd, groups)).toMatchObject({ uid: 1000, gid: 2000, additionalGids: [2000] })
  })
})

const IMAGE = 'localhost/test/uid-max:1'

describe.skipIf(!isRoot)('run and exec with a user whose uid is (uid_t)-1 (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
    const layout = join(env.dir, 'uid-max-oci')
    await writeOciLayout(layout, {
      name: IMAGE,
      config: { config: { User: 'app', Cmd: ['sh', '-c', 'id -u; grep ^CapEff /proc/self/status'] } },
      layers: [
        { dir: BUSYBOX_ROOTFS },
        [
          { path: 'etc/passwd', type: 'file', content: PASSWD },
          { path: 'etc/group', type: 'file', content: GROUP },
        ],
      ],
    })
    await loadArchive(new ImageStore({ root: env.storeRoot }), layout, { name: IMAGE })
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('refuses the image\'s User with one line and 125, instead of running as root', () => {
    const r = env.run(env.runArgs([IMAGE]))
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('mini-run: /etc/passwd line 2: invalid uid "4294967295" for user app\n')
    expect(r.status).toBe(125)
  })

  it('refuses -u app, -u hex and a bad group the same way; other users still run', () => {
    const cases: [string[], string][] = [
      [['-u', 'app'], '/etc/passwd line 2: invalid uid "4294967295" for user app'],
      [['-u', 'hex'], '/etc/passwd line 3: invalid uid "0x0" for user hex'],
      [['-u', 'root:bad'], '/etc/group line 2: invalid gid "1e3" for group bad'],
      [['-u', 'root', '--group-add', 'bad'], '/etc/group line 2: invalid gid "1e3" for group bad'],
    ]
    for (const [flags, message] of cases) {
      const r = env.run(env.runArgs([...flags, IMAGE]))
      expect(r.stdout, flags.join(' ')).toBe('')
      expect(r.stderr, flags.join(' ')).toBe(`mini-run: ${message}\n`)
      expect(r.status, flags.join(' ')).toBe(125)
    }
    const root = env.run(env.runArgs(['-u', 'root', IMAGE]))
    expect(root.stderr).toBe('')
    expect(root.stdout).toBe('0\nCapEff:\t00000000a80425fb\n')
  })

  it('refuses exec -u app in a running container', () => {
    const d = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '-u', 'root', IMAGE, 'sleep', '60'])
    expect(d.stderr).toBe('')
    const id = d.stdout.trim()
    const r = env.run(['exec', '-u', 'app', id, 'id', '-u'])
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('mini-run: /etc/passwd line 2: invalid uid "4294967295" for user app\n')
    expect(r.status).toBe(126)
    expect(env.run(['exec', '-u', '0', id, 'id', '-u']).stdout).toBe('0\n')
    expect(env.run(['rm', '-f', id]).status).toBe(0)
  })
})
