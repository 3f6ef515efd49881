// The security issue's item 6: socket(AF_VSOCK) was refused, but i386's
// socketcall(SYS_SOCKET, {AF_VSOCK, SOCK_STREAM, 0}) through int $0x80 gave
// a socket. socketcall reads the family from memory, where a seccomp filter
// cannot look; the default profile now refuses socketcall's socket call.
//
// The payload is a static x86-64 program compiled here that makes the i386
// syscall itself. It must be -no-pie: int $0x80 takes 32-bit registers, so
// the argument array has to live below 4 GiB (a static non-PIE .data does).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const SOURCE = `#include <stdio.h>
#include <unistd.h>
/* socketcall's args array: the compat ABI's 32-bit longs */
static unsigned int args[3] = { 40 /* AF_VSOCK */, 1 /* SOCK_STREAM */, 0 };
static long int80(long nr, long ebx, long ecx) {
  long ret;
  __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(nr), "b"(ebx), "c"(ecx) : "memory");
  return ret;
}
int main(void) {
  printf("getpid %ld %ld\\n", int80(20 /* i386 getpid */, 0, 0), (long)getpid());
  printf("socketcall %ld\\n", int80(102 /* i386 socketcall */, 1 /* SYS_SOCKET */, (long)args));
  return 0;
}
`
const EPERM = 1

const hasGcc = spawnSync('gcc', ['--version']).status === 0
const onX64 = process.arch === 'x64'

/** "socketcall N" from the helper's output. */
function socketcallResult(stdout: string): number {
  const m = stdout.match(/^socketcall (-?\d+)$/m)
  if (!m) throw new Error(`no socketcall line in ${JSON.stringify(stdout)}`)
  return Number(m[1])
}

describe.skipIf(!isRoot || !hasGcc || !onX64)('seccomp: i386 socketcall (needs root, gcc and x86-64)', () => {
  let env: TestEnv
  let dir: string
  let ia32 = false
  let hostResult = 0
  beforeAll(async () => {
    env = await makeTestEnv()
    dir = mkdtempSync('/var/tmp/mini-run-socketcall-')
    writeFileSync(join(dir, 'socketcall.c'), SOURCE)
    const cc = spawnSync('gcc', ['-static', '-no-pie', '-O2', '-o', join(dir, 'socketcall'), join(dir, 'socketcall.c')], { encoding: 'utf8' })
    if (cc.status !== 0) throw new Error(`gcc: ${cc.stderr}`)
    // int $0x80 works only with the kernel's IA-32 emulation (CONFIG_IA32_EMULATION,
    // not booted with ia32_emulation=0): the i386 getpid must give our pid
    const host = spawnSync(join(dir, 'socketcall'), { encoding: 'utf8' })
    const m = host.stdout.match(/^getpid (-?\d+) (\d+)$/m)
    ia32 = m !== null && m[1] === m[2]
    if (ia32) hostResult = socketcallResult(host.stdout)
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => {
    env?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const run = (extra: string[]) => env.run(env.runArgs([...extra, '-v', `${dir}:/t:ro`, BUSYBOX, '/t/socketcall']))

  it('refuses socketcall(SYS_SOCKET) with EPERM under the default profile', (ctx) => {
    if (!ia32) ctx.skip('this kernel has no IA-32 emulation: int $0x80 does not reach i386 syscalls')
    const r = run([])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^getpid 1 1$/m) // PID 1 of its namespace, through the i386 table
    expect(socketcallResult(r.stdout)).toBe(-EPERM)
  })

  it('lets the kernel answer without the filter (--security-opt seccomp=unconfined)', (ctx) => {
    if (!ia32) ctx.skip('this kernel has no IA-32 emulation: int $0x80 does not reach i386 syscalls')
    const r = run(['--security-opt', 'seccomp=unconfined'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const result = socketcallResult(r.stdout)
    expect(result).not.toBe(-EPERM)
    // what the kernel itself gives: a descriptor where vsock exists (as on
    // the host outside any container), else EAFNOSUPPORT (97)
    if (hostResult >= 0) expect(result).toBeGreaterThanOrEqual(3)
    else expect(result).toBe(hostResult)
  })
})
