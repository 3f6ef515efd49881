// exec --env-file and exec --privileged, as Docker's: the file in run
// --env-file's format, read before -e (a -e of the same name wins); and
// every capability the runtime holds for the exec'd process alone, its
// container's seccomp filter kept (Docker's execSetPlatformOpt changes the
// process's capabilities only; runc's setns init applies the config's filter).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'

/** A field of /proc/<pid>/status: "CapEff", "Seccomp"... */
const statusField = (status: string, name: string) => new RegExp(`^${name}:\\s+(\\S+)$`, 'm').exec(status)?.[1]

describe.skipIf(!isRoot)('exec --env-file and --privileged (needs root)', () => {
  const cli = useCliEnv()
  const { ok } = cli

  it('exec --env-file sets the file\'s variables; -e wins over the file; a missing file is refused', () => {
    ok(['run', '-d', '--name', 'ef', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sleep', '60'])
    const file = join(cli.env.dir, 'exec.env')
    writeFileSync(file, '# a comment\nFROM_FILE=one two\n\nBOTH=file\n')
    expect(ok(['exec', '--env-file', file, 'ef', 'sh', '-c', 'echo "$FROM_FILE|$BOTH"'])).toBe('one two|file\n')
    expect(ok(['exec', '--env-file', file, '-e', 'BOTH=flag', 'ef', 'sh', '-c', 'echo "$FROM_FILE|$BOTH"'])).toBe('one two|flag\n')
    const missing = cli.env.run(['exec', '--env-file', join(cli.env.dir, 'absent.env'), 'ef', 'true'])
    expect(missing.stderr).toBe(`mini-run: --env-file ${join(cli.env.dir, 'absent.env')}: no such file\n`)
    expect(missing.status).toBe(1)
    // a process that cannot start, as Docker's daemon ends such an exec: 126 (a command not found: 127)
    expect(cli.env.run(['exec', '-u', 'nosuch', 'ef', 'true'])).toMatchObject({ status: 126, stderr: 'mini-run: unable to find user nosuch: no matching entries in passwd file\n' })
    expect(cli.env.run(['exec', '-w', '/nonexist', 'ef', 'true'])).toMatchObject({ status: 126, stderr: 'mini-run: chdir /nonexist: No such file or directory\n' })
    expect(cli.env.run(['exec', 'ef', 'nosuchcmd']).status).toBe(127)
    // a container that is not there is the verb's own error: 1
    expect(cli.env.run(['exec', 'nosuch', 'true']).status).toBe(1)
  })

  it('exec --privileged gets every capability the runtime holds; a plain exec and the container keep Docker\'s defaults', () => {
    ok(['run', '-d', '--name', 'pv', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sleep', '60'])
    const runtimeBounding = statusField(readFileSync('/proc/self/status', 'utf8'), 'CapBnd')
    const plain = ok(['exec', 'pv', 'cat', '/proc/self/status'])
    const privileged = ok(['exec', '--privileged', 'pv', 'cat', '/proc/self/status'])
    // Docker's default set (moby oci/caps/defaults.go)
    expect(statusField(plain, 'CapEff')).toBe('00000000a80425fb')
    for (const set of ['CapEff', 'CapPrm', 'CapBnd']) expect(statusField(privileged, set), set).toBe(runtimeBounding)
    expect(statusField(privileged, 'Seccomp')).toBe(statusField(plain, 'Seccomp'))
    expect(statusField(ok(['exec', 'pv', 'cat', '/proc/1/status']), 'CapEff')).toBe('00000000a80425fb')
  })
})
