// `compose events [--json] [SERVICE...]`: the project's container events,
// in Docker Compose's line and JSON object, its compose labels left out.
// Services without a network (network_mode: none): no netavark needed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('compose events (needs root: runs containers)', () => {
  const cli = useCliEnv()
  const { ok } = cli

  it("prints the project's container events, by service, in Compose's forms", async () => {
    const dir = join(cli.env.dir, 'evp')
    mkdirSync(dir, { recursive: true })
    const service = (name: string, command: string) =>
      `  ${name}:\n    image: ${BUSYBOX}\n    command: [sh, -c, "${command}"]\n    network_mode: none\n    cgroup_parent: ${cli.env.cgroupParent}\n`
    writeFileSync(join(dir, 'compose.yaml'), `services:\n${service('web', 'exit 0')}${service('job', 'exit 2')}`)
    const compose = (args: string[]) => ok(['compose', '-p', 'evp', ...args], { cwd: dir })
    const since = (Date.now() / 1000).toFixed(3)
    // a container of another project is not the project's
    ok(cli.env.runArgs(['--name', 'other', BUSYBOX, 'true']))
    // up and down say what they do on stderr; down once both have exited (a down that came first on
    // a slow machine would stop them: kill and stop events, another exit code)
    expect(cli.env.run(['compose', '-p', 'evp', 'up', '-d'], { cwd: dir }).status).toBe(0)
    await until('both to exit', () => compose(['ps', '-a', '--format', '{{.State}}']) === 'exited\nexited\n')
    expect(cli.env.run(['compose', '-p', 'evp', 'down'], { cwd: dir }).status).toBe(0)
    const lines = compose(['events', '--json', '--since', since, '--until', '0s', 'job']).trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((e) => e.action)).toEqual(['create', 'start', 'die', 'destroy'])
    expect(lines[2]).toEqual({
      action: 'die',
      attributes: { exitCode: '2', image: BUSYBOX, name: 'evp-job-1' },
      id: expect.stringMatching(/^[0-9a-f]{64}$/),
      service: 'job',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/),
      type: 'container',
    })
    const text = compose(['events', '--since', since, '--until', '0s'])
    // Compose's line, and the blank line its Fprintln adds after the event's own newline
    expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} container create [0-9a-f]{64} \(image=[^,]+, name=evp-(web|job)-1\)\n\n/)
    expect(text).not.toContain('name=other')
    expect(text.split('\n\n').filter(Boolean)).toHaveLength(8)
  })
})
