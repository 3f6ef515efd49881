// The everyday Docker verbs and flags, as a Docker user types them: create
// and start, restart, ps --format/--filter/-n/-l/--no-trunc, inspect -f and
// --type, images --format/--filter, top, stats, pause/unpause, rename,
// version, info, and Docker's words for errors. Literal expected text.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('Docker\'s everyday verbs (needs root)', () => {
  let env: TestEnv
  const ok = (args: string[], input?: string) => {
    const r = env.run(args, input === undefined ? {} : { input })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const detached = (args: string[]) => ok(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args]).trim()
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('create makes a Created container; start -a runs it with its output and exit code; a failed start leaves it Created', () => {
    const id = ok(['create', '--name', 'c1', BUSYBOX, 'sh', '-c', 'echo created-then-started; echo to-stderr >&2; exit 4']).trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(ok(['ps', '-a', '--format', '{{.Names}} {{.State}} {{.Status}}'])).toBe('c1 created Created\n')
    expect(ok(['ps', '--format', '{{.Names}}'])).toBe('')
    const r = env.run(['start', '-a', 'c1'])
    expect(r.stdout).toBe('created-then-started\n')
    expect(r.stderr).toBe('to-stderr\n')
    expect(r.status).toBe(4)
    expect(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'c1'])).toBe('exited 4\n')
    // started again: the same container, its writable layer kept
    ok(['create', '--name', 'c2', BUSYBOX, 'sh', '-c', 'echo x >> /count; wc -l < /count'])
    expect(ok(['start', '-a', 'c2'])).toBe('1\n')
    expect(ok(['start', '-a', 'c2'])).toBe('2\n')
    ok(['create', '--name', 'c3', BUSYBOX, '/no/such/command'])
    // Docker's `start` of a command that does not exist: the error, exit 1, and the container stays Created
    const failed = env.run(['start', 'c3'])
    expect(failed.status).toBe(1)
    expect(failed.stderr).toBe('mini-run: exec "/no/such/command": no such file or directory\n')
    expect(ok(['ps', '-a', '--filter', 'name=c3', '--format', '{{.State}}'])).toBe('created\n')
  })

  it('restart stops and starts a running container', async () => {
    detached(['--name', 'rs', BUSYBOX, 'sh', '-c', 'echo started; sleep 60'])
    const before = JSON.parse(ok(['inspect', 'rs']))[0].State.Pid
    expect(ok(['restart', '-t', '0', 'rs'])).toBe('rs\n')
    const after = JSON.parse(ok(['inspect', 'rs']))[0]
    expect(after.State.Status).toBe('running')
    expect(after.State.Pid).not.toBe(before)
    // the second life's line comes once its shell has run and its monitor logged it: no fixed time on a busy machine
    await until('the second start logged', () => ok(['logs', 'rs']) !== 'started\n')
    expect(ok(['logs', 'rs'])).toBe('started\nstarted\n')
  })

  it('ps --filter and --format, -n, -l, --no-trunc, -q', () => {
    const a = detached(['--name', 'fa', '--label', 'tier=front', BUSYBOX, 'sleep', '60'])
    const b = detached(['--name', 'fb', '--label', 'tier=back', '-l', 'solo', BUSYBOX, 'sleep', '60'])
    ok(['create', '--name', 'fc', BUSYBOX, 'true'])
    ok(['run', '--name', 'fd', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true'])
    const c = JSON.parse(ok(['inspect', 'fd']))[0].Id
    expect(ok(['ps', '--format', '{{.Names}}'])).toBe('fb\nfa\n')
    expect(ok(['ps', '-q', '--filter', 'name=fa'])).toBe(`${a.slice(0, 12)}\n`)
    expect(ok(['ps', '--no-trunc', '-q', '--filter', 'label=tier=back'])).toBe(`${b}\n`)
    expect(ok(['ps', '--filter', 'label=solo', '--format', '{{.Names}} {{.Labels}} {{.Label "tier"}}'])).toBe('fb solo=,tier=back back\n')
    // labels narrow, each one given must be there (Docker's MatchKVList); statuses widen
    expect(ok(['ps', '-q', '--no-trunc', '--filter', 'label=tier=back', '--filter', 'label=solo'])).toBe(`${b}\n`)
    expect(ok(['ps', '-q', '--filter', 'label=tier=front', '--filter', 'label=solo'])).toBe('')
    expect(ok(['ps', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}'])).toMatch(/^fd Exited \(0\) .* ago\n$/)
    expect(ok(['ps', '-a', '--filter', 'exited=0', '-q', '--no-trunc'])).toBe(`${c}\n`)
    expect(ok(['ps', '-a', '--filter', 'status=created', '--filter', 'status=exited', '--format', '{{.Names}}'])).toBe('fd\nfc\n')
    expect(ok(['ps', '-a', '--filter', 'since=fb', '--format', '{{.Names}}'])).toBe('fd\nfc\n')
    expect(ok(['ps', '-a', '--filter', 'before=fb', '--format', '{{.Names}}'])).toBe('fa\n')
    expect(ok(['ps', '-a', '--filter', `ancestor=${BUSYBOX}`, '-n', '2', '--format', '{{.Names}}'])).toBe('fd\nfc\n')
    expect(ok(['ps', '-l', '--format', '{{.Names}}'])).toBe('fd\n')
    expect(ok(['ps', '--filter', 'name=fa', '--format', 'table {{.Names}}\t{{.Image}}'])).toBe(`NAMES     IMAGE\nfa        ${BUSYBOX}\n`)
    const row = JSON.parse(ok(['ps', '--filter', 'name=fa', '--format', '{{json .}}']))
    expect(Object.keys(row)).toEqual(['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status'])
    expect(row).toMatchObject({ Command: '"sleep 60"', ID: a.slice(0, 12), Image: BUSYBOX, Labels: 'tier=front', Names: 'fa', Networks: 'bridge', State: 'running' })
    const bad = env.run(['ps', '--filter', 'colour=red'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe("mini-run: invalid filter 'colour'\n")
  })

  it('inspect -f, inspect --type, and inspect of an image and of nothing', () => {
    detached(['--name', 'in1', '--label', 'k=v', BUSYBOX, 'sleep', '60'])
    expect(ok(['inspect', '-f', '{{.State.Status}}', 'in1'])).toBe('running\n')
    expect(ok(['inspect', '--format', '{{json .Config.Labels}} {{.RestartCount}} {{.HostConfig.RestartPolicy.Name}} {{.Name}}', 'in1'])).toBe('{"k":"v"} 0 no /in1\n')
    expect(ok(['inspect', '-f', '{{index .Config.Labels "k"}}', 'in1'])).toBe('v\n')
    expect(ok(['inspect', '--type', 'image', '-f', '{{.Os}}/{{.Architecture}}', BUSYBOX])).toMatch(/^linux\/\w+\n$/)
    expect(ok(['image', 'inspect', '-f', '{{index .RepoTags 0}}', BUSYBOX])).toBe(`${BUSYBOX}\n`)
    const both = env.run(['inspect', '-f', '{{.Name}}', 'in1', 'nosuch'])
    expect(both.stdout).toBe('/in1\n')
    expect(both.stderr).toBe('Error: No such object: nosuch\n')
    expect(both.status).toBe(1)
    const typed = env.run(['inspect', '--type', 'container', BUSYBOX])
    expect(typed.stdout).toBe('[]\n')
    expect(typed.stderr).toBe(`Error: No such container: ${BUSYBOX}\n`)
  })

  it('images --format and --filter', () => {
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toBe(`${BUSYBOX}\n`)
    expect(ok(['images', '--filter', 'dangling=true', '-q'])).toBe('')
    expect(ok(['images', '--filter', 'reference=localhost/test/*', '--format', '{{.Tag}}'])).toBe('latest\n')
    expect(ok(['images', '--filter', 'reference=nomatch*', '--format', '{{.Tag}}'])).toBe('')
    const repo = BUSYBOX.replace(/:latest$/, '')
    expect(ok(['image', 'ls', '--format', 'table {{.Repository}}\t{{.Tag}}'])).toBe(`${'REPOSITORY'.padEnd(repo.length + 3)}TAG\n${repo}   latest\n`)
  })

  it('top lists the container\'s processes, with ps options', () => {
    detached(['--name', 't1', BUSYBOX, 'sh', '-c', 'sleep 61 & sleep 62; echo done'])
    const top = ok(['top', 't1'])
    const lines = top.trim().split('\n')
    expect(lines[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/)
    expect(lines.slice(1).map((l) => l.replace(/^.*\d\d:\d\d:\d\d\s+/, '')).sort()).toEqual(['sh -c sleep 61 & sleep 62; echo done', 'sleep 61', 'sleep 62'])
    expect(ok(['top', 't1', '-o', 'pid,comm']).trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]).sort()).toEqual(['sh', 'sleep', 'sleep'])
  })

  it('stats --no-stream: CPU that moves under load, memory, pids; a stopped container shows zeros', () => {
    detached(['--name', 'busy', BUSYBOX, 'sh', '-c', 'while :; do :; done'])
    detached(['--name', 'idle', '--network', 'none', BUSYBOX, 'sleep', '60'])
    const out = ok(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'busy', 'idle'])
    const [busy, idle] = out.trim().split('\n').map((l) => l.split(' '))
    expect(busy![0]).toBe('busy')
    // a whole core is 100%; the loop shares two cores with another test file and the CI's VM
    expect(parseFloat(busy![1]!)).toBeGreaterThan(15)
    expect(parseFloat(idle![1]!)).toBeLessThan(5)
    expect(busy![2]).toMatch(/^[\d.]+(B|KiB|MiB)$/)
    expect(busy![5]).toBe('1')
    const table = ok(['stats', '--no-stream', 'idle']).split('\n')
    expect(table[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/)
    expect(table[1]).toMatch(/^[0-9a-f]{12}\s+idle\s+\d+\.\d\d%\s+\S+ \/ \S+\s+\d+\.\d\d%\s+0B \/ 0B\s+\S+ \/ \S+\s+1$/)
  })

  it.skipIf(!cgroup2)('pause freezes every process (cgroup.freeze), unpause thaws them; stop works on a paused one', async () => {
    detached(['--name', 'p1', BUSYBOX, 'sh', '-c', 'while :; do date +%s%N > /tmp/t; sleep 0.05; done'])
    expect(ok(['pause', 'p1'])).toBe('p1\n')
    expect(ok(['ps', '--format', '{{.State}} {{.Status}}'])).toMatch(/^paused Up .* \(Paused\)\n$/)
    expect(ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'p1'])).toBe('paused true true\n')
    const again = env.run(['pause', 'p1'])
    expect(again.stderr).toMatch(/^mini-run: Container [0-9a-f]{12} is already paused\n$/)
    expect(ok(['unpause', 'p1'])).toBe('p1\n')
    expect(ok(['inspect', '-f', '{{.State.Status}}', 'p1'])).toBe('running\n')
    ok(['pause', 'p1'])
    expect(ok(['stop', '-t', '1', 'p1'])).toBe('p1\n')
    expect(ok(['inspect', '-f', '{{.State.Status}}', 'p1'])).toBe('exited\n')
    const notRunning = env.run(['unpause', 'p1'])
    expect(notRunning.stderr).toMatch(/^mini-run: Container [0-9a-f]{12} is not running\n$/)
  })

  it('rename keeps the container and frees the old name; a taken name is refused in Docker\'s words', () => {
    const id = detached(['--name', 'old', BUSYBOX, 'sleep', '60'])
    detached(['--name', 'other', BUSYBOX, 'sleep', '60'])
    expect(ok(['rename', 'old', 'new'])).toBe('')
    expect(ok(['inspect', '-f', '{{.Id}} {{.Name}}', 'new'])).toBe(`${id} /new\n`)
    expect(env.run(['inspect', 'old']).status).toBe(1)
    const taken = env.run(['rename', 'new', 'other'])
    expect(taken.status).toBe(1)
    expect(taken.stderr).toMatch(/^mini-run: Conflict\. The container name "\/other" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/)
    detached(['--name', 'old', BUSYBOX, 'true'])
  })

  it('version, --version and info', () => {
    expect(ok(['--version'])).toMatch(/^mini-run version \d+\.\d+\.\d+\n$/)
    expect(ok(['version'])).toMatch(/^mini-run:\n Version: +\d+\.\d+\.\d+\n/)
    expect(ok(['version', '-f', '{{.Os}}'])).toBe('linux\n')
    const info = ok(['info'])
    expect(info).toContain('Storage Driver: overlay')
    expect(info).toMatch(/Cgroup Version: (2|1|none)/)
    expect(info).toContain(`Mini-run Root Dir: ${env.storeRoot}`)
    expect(JSON.parse(ok(['info', '--format', '{{json .}}']))).toMatchObject({ StorageDriver: 'overlay', RootDir: env.storeRoot, StateDir: env.stateRoot })
  })

  it('Docker\'s usage errors: two lines, never the whole usage', () => {
    const r = env.run(['run', '--bogus-flag', BUSYBOX, 'true'])
    expect(r.status).toBe(125)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe("unknown flag: --bogus-flag\nSee 'mini-run run --help'.\n")
    expect(env.run(['ps', '--bogus']).stderr).toBe("unknown flag: --bogus\nSee 'mini-run ps --help'.\n")
    expect(env.run(['container', 'ls', '--bogus']).stderr).toBe("unknown flag: --bogus\nSee 'mini-run container ls --help'.\n")
    expect(env.run(['rm']).stderr).toBe('"mini-run rm" requires at least 1 argument.\nSee \'mini-run rm --help\'.\n')
    expect(env.run(['cp', 'a:/x', 'b:/y']).stderr).toBe('mini-run: copying between containers is not supported\n')
  })

  it('container and image subcommands are the same verbs', () => {
    detached(['--name', 'sub1', BUSYBOX, 'sleep', '60'])
    expect(ok(['container', 'ls', '--format', '{{.Names}}'])).toBe('sub1\n')
    expect(ok(['container', 'inspect', '-f', '{{.State.Status}}', 'sub1'])).toBe('running\n')
    expect(ok(['container', 'stop', '-t', '0', 'sub1'])).toBe('sub1\n')
    expect(ok(['container', 'rm', 'sub1'])).toBe('sub1\n')
    expect(ok(['image', 'ls', '-q'])).toMatch(/^[0-9a-f]{12}\n$/)
  })
})
