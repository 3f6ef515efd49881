// --sysctl KEY=VALUE (src/runtime/spec/sysctls.ts): a kernel parameter of a
// namespace the container has of its own, as Docker and runc allow; anything
// else would change the host or another container, and is refused in one line.
import { describe, expect, it } from 'vitest'
import { sysctlNamespace, sysctlsOf } from '../src/runtime/spec/sysctls.js'

describe('--sysctl', () => {
  it('tells the namespace a parameter belongs to', () => {
    expect(sysctlNamespace('net.ipv4.ip_forward')).toBe('network')
    expect(sysctlNamespace('net.core.somaxconn')).toBe('network')
    for (const k of ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'fs.mqueue.msg_max']) {
      expect(sysctlNamespace(k)).toBe('ipc')
    }
    expect(sysctlNamespace('kernel.domainname')).toBe('uts')
    expect(sysctlNamespace('vm.swappiness')).toBeUndefined()
    expect(sysctlNamespace('kernel.pid_max')).toBeUndefined()
    expect(sysctlNamespace('network.x')).toBeUndefined()
  })

  it('takes KEY=VALUE flags or a compose mapping; the value may hold "=" or be empty', () => {
    expect(sysctlsOf(['net.ipv4.ip_unprivileged_port_start=0', 'kernel.sem=250 32000 32 128', 'net.x.y=a=b'], {})).toEqual({
      'net.ipv4.ip_unprivileged_port_start': '0',
      'kernel.sem': '250 32000 32 128',
      'net.x.y': 'a=b',
    })
    expect(sysctlsOf({ 'net.core.somaxconn': '1024' }, { network: 'bridge' })).toEqual({ 'net.core.somaxconn': '1024' })
    expect(sysctlsOf(['fs.mqueue.msg_max='], { network: 'none' })).toEqual({ 'fs.mqueue.msg_max': '' })
    expect(sysctlsOf([], {})).toBeUndefined()
    expect(sysctlsOf(undefined, {})).toBeUndefined()
  })

  it('refuses what is not KEY=VALUE', () => {
    for (const bad of ['net.ipv4.ip_forward', '=1', 'ip_forward=1', 'net..x=1', 'net/ipv4/ip_forward=1', ' =1']) {
      expect(() => sysctlsOf([bad], {}), bad).toThrow(/^--sysctl .*: give it as KEY=VALUE/)
    }
  })

  it("refuses a parameter of the host's, or of a namespace shared with the host or another container", () => {
    expect(() => sysctlsOf(['vm.swappiness=10'], {})).toThrow('--sysctl vm.swappiness: not a parameter of a namespace the container has of its own')
    expect(() => sysctlsOf(['kernel.hostname=x'], {})).toThrow('--sysctl kernel.hostname: set it with --hostname')
    expect(() => sysctlsOf(['kernel.domainname=x'], {})).toThrow('--sysctl kernel.domainname: set it with --domainname')
    expect(() => sysctlsOf(['net.ipv4.ip_forward=1'], { network: 'host' })).toThrow("--sysctl net.ipv4.ip_forward: the container shares the host's network namespace (--network host)")
    expect(() => sysctlsOf(['net.ipv4.ip_forward=1'], { network: 'container:db' })).toThrow("the container shares container db's network namespace (--network container:db)")
    expect(() => sysctlsOf(['kernel.shmmax=1'], { ipc: 'host' })).toThrow("the container shares the host's IPC namespace (--ipc host)")
    expect(() => sysctlsOf(['fs.mqueue.msg_max=1'], { ipc: 'container:x' })).toThrow("container x's IPC namespace")
    // a namespace the other flag shares is no matter: IPC parameters under --network host
    expect(sysctlsOf(['kernel.shmmax=1'], { network: 'host', ipc: 'private' })).toEqual({ 'kernel.shmmax': '1' })
    expect(sysctlsOf({ 'net.ipv4.ip_forward': '1' }, { ipc: 'host', network: 'none' })).toEqual({ 'net.ipv4.ip_forward': '1' })
  })
})
