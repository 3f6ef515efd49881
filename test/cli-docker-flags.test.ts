// Docker's flags that scripts use and mini-run had not taken: run/create's
// hidden --dns-opt, --net and --net-alias, stop and restart's --timeout, --disable-content-trust (run, create, pull, push,
// build), volume create's hidden --name, network inspect -v, network prune
// --filter (until=, label=, label!=), exec --detach-keys. Typed as a user
// types them, checked by what they do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('Docker flags mini-run accepts (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => {
    const ids = env?.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean) ?? []
    if (ids.length) env.run(['rm', '-f', ...ids])
    env?.cleanup()
  })

  it('--dns-opt adds to --dns-option, in resolv.conf; --disable-content-trust is accepted by run, create and pull', () => {
    const r = env.run(['run', '--rm', '--network', 'none', '--dns', '10.0.0.9', '--dns-opt', 'ndots:3', '--dns-option', 'timeout:2', '--dns-opt=attempts:4', '--disable-content-trust', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'cat', '/etc/resolv.conf'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^options ndots:3 timeout:2 attempts:4$/m)
    const id = env.run(['create', '--dns-opt', 'ndots:1', '--disable-content-trust=false', BUSYBOX, 'true']).stdout.trim()
    expect(env.run(['inspect', '-f', '{{json .HostConfig.DnsOptions}}', id]).stdout).toBe('["ndots:1"]\n')
    expect(env.run(['rm', id]).status).toBe(0)
    // the flag is taken; the pull itself finds the image in the store
    expect(env.run(['pull', '--disable-content-trust', BUSYBOX]).stderr).not.toMatch(/unknown option/)
    expect(env.run(['push', '--disable-content-trust', '--help']).stdout).toContain('--disable-content-trust')
    expect(env.run(['build', '--disable-content-trust', '--help']).stdout).toContain('--disable-content-trust')
  })

  it('--net and --net-alias, the old spellings of --network and --network-alias', () => {
    const r = env.run(['run', '--rm', '--net=none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'ls /sys/class/net'])
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', 'lo\n'])
    const id = env.run(['create', '--net', 'host', BUSYBOX, 'true']).stdout.trim()
    expect(env.run(['inspect', '-f', '{{.HostConfig.NetworkMode}}', id]).stdout).toBe('host\n')
    // an alias is --network-alias's, checked as that one is
    const alias = env.run(['create', '--net', 'host', '--net-alias', 'old', BUSYBOX, 'true'])
    expect([alias.status, alias.stderr]).toEqual([125, 'mini-run: --network-alias needs a network of the container\'s own: not with --network host\n'])
    expect(env.run(['rm', id]).status).toBe(0)
  })

  it('stop and restart take -t, --timeout (docker/cli\'s name now); --time, the old one, still counts, with pflag\'s deprecation line', () => {
    // TERM runs a trap that exits 5 after a while: a stop that waits sees 5, one that does not kills (137)
    const trapped = ['sh', '-c', 'trap "sleep 2; exit 5" TERM; while :; do sleep 1; done']
    const id = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, ...trapped]).stdout.trim()
    const exitCode = () => env.run(['inspect', '-f', '{{.State.ExitCode}}', id]).stdout
    expect(env.run(['stop', '--timeout', '0', id])).toMatchObject({ status: 0, stderr: '' })
    expect(exitCode()).toBe('137\n')
    expect(env.run(['restart', '-t', '0', id])).toMatchObject({ status: 0, stderr: '' })
    expect(env.run(['stop', '--timeout', '60', id])).toMatchObject({ status: 0, stderr: '' })
    expect(exitCode()).toBe('5\n')
    // the old name's value counts (0: killed at once), after pflag's line, which cobra prints on stdout
    expect(env.run(['start', id]).status).toBe(0)
    expect(env.run(['stop', '--time', '0', id])).toMatchObject({ status: 0, stdout: `Flag --time has been deprecated, use --timeout instead\n${id}\n`, stderr: '' })
    expect(exitCode()).toBe('137\n')
    expect(env.run(['stop', '--time', '1', '-t', '1', id])).toMatchObject({ status: 1, stderr: 'mini-run: conflicting options: cannot specify both --timeout and --time\n' })
    expect(env.run(['restart', '--time', 'x', id])).toMatchObject({ status: 125, stdout: '', stderr: 'mini-run: invalid argument "x" for "--time" flag: strconv.ParseInt: parsing "x": invalid syntax\n' })
    expect(env.run(['stop', '--help']).stdout).not.toContain('--time ')
    expect(env.run(['stop', '--timeout', 'x', id])).toMatchObject({ status: 125, stderr: 'mini-run: invalid argument "x" for "-t, --timeout" flag: strconv.ParseInt: parsing "x": invalid syntax\n' })
    expect(env.run(['rm', id]).status).toBe(0)
  })

  it('volume create --name NAME, as the positional name; both at once is refused with Docker\'s words', () => {
    expect(env.run(['volume', 'create', '--name', 'by-flag'])).toMatchObject({ status: 0, stdout: 'by-flag\n', stderr: '' })
    expect(env.run(['volume', 'ls', '-q']).stdout).toContain('by-flag\n')
    const both = env.run(['volume', 'create', '--name', 'one', 'two'])
    expect(both.stderr).toBe('mini-run: conflicting options: cannot specify a volume-name through both --name and as a positional arg\n')
    expect(both.status).not.toBe(0)
    expect(env.run(['volume', 'create', '--help']).stdout).not.toContain('--name')
    expect(env.run(['volume', 'rm', 'by-flag']).status).toBe(0)
  })

  it('network inspect -v and --verbose print what inspect prints for a local bridge network', () => {
    expect(env.run(['network', 'create', 'verbose-net']).status).toBe(0)
    const plain = env.run(['network', 'inspect', 'verbose-net'])
    expect(plain.status).toBe(0)
    expect(env.run(['network', 'inspect', '-v', 'verbose-net'])).toMatchObject({ status: 0, stdout: plain.stdout })
    expect(env.run(['network', 'inspect', '--verbose', '-f', '{{.Name}}', 'verbose-net']).stdout).toBe('verbose-net\n')
    expect(env.run(['network', 'rm', 'verbose-net']).status).toBe(0)
  })

  it('network prune --filter: label= and label!= select, until= spares the networks made after it, a bad key is refused', () => {
    for (const [name, label] of [['keep-a', 'keep=yes'], ['drop-b', 'keep=no'], ['drop-c', 'other=1']] as const) {
      expect(env.run(['network', 'create', '--label', label, name]).status).toBe(0)
    }
    const names = () => env.run(['network', 'ls', '--format', '{{.Name}}']).stdout.split('\n').filter((n) => /^(keep|drop)-/.test(n)).sort()
    expect(env.run(['network', 'prune', '-f', '--filter', 'label=keep=no'])).toMatchObject({ status: 0, stdout: 'Deleted Networks:\ndrop-b\n' })
    expect(names()).toEqual(['drop-c', 'keep-a'])
    // created after "an hour ago": spared
    expect(env.run(['network', 'prune', '-f', '--filter', 'until=1h']).stdout).toBe('')
    expect(names()).toEqual(['drop-c', 'keep-a'])
    expect(env.run(['network', 'prune', '-f', '--filter', 'label!=keep', '--filter', 'until=0s']).stdout).toBe('Deleted Networks:\ndrop-c\n')
    expect(names()).toEqual(['keep-a'])
    const bad = env.run(['network', 'prune', '-f', '--filter', 'driver=bridge'])
    expect(bad.stderr).toBe("mini-run: invalid filter 'driver'\n")
    expect(bad.status).not.toBe(0)
    expect(env.run(['network', 'prune', '-f', '--filter', 'until=1h', '--filter', 'until=2h']).stderr).toBe('mini-run: more than one until filter specified\n')
    expect(names()).toEqual(['keep-a'])
    // without -f it asks first, as Docker's: no answer is a no, "y" goes on
    const asked = env.run(['network', 'prune'], { input: '' })
    expect([asked.status, asked.stdout]).toEqual([0, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] \n'])
    expect(names()).toEqual(['keep-a'])
    expect(env.run(['network', 'prune'], { input: 'y\n' }).stdout).toBe('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Networks:\nkeep-a\n')
    expect(names()).toEqual([])
  })

  it('exec --detach-keys is taken, and a sequence Docker cannot read is refused', () => {
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
    expect(env.run(['exec', '--detach-keys', 'ctrl-x,x', id, 'echo', 'ok'])).toMatchObject({ status: 0, stdout: 'ok\n' })
    const bad = env.run(['exec', '--detach-keys', 'ctrl-1', id, 'echo', 'no'])
    expect(bad.stdout).toBe('')
    expect(bad.stderr).toMatch(/^mini-run: invalid detach keys \(ctrl-1\)/)
    expect(env.run(['rm', '-f', id]).status).toBe(0)
  })
})
