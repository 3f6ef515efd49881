// --sysctl KEY=VALUE (src/runtime/spec/sysctls.ts): a kernel parameter of a
// namespace the container does not share with the host, as runc's validator
// allows (a namespace joined from another container is that one's, as in
// Docker); anything else would change the host, and is refused in one line.
import { describe, expect, it } from 'vitest'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { sysctlNamespace, sysctlPath, sysctlsOf, withNetworkDefaults } from '../src/runtime/spec/sysctls.js'

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
    // runc's other spelling: a path under /proc/sys
    expect(sysctlNamespace('net/ipv4/conf/eth0.100/forwarding')).toBe('network')
    expect(sysctlNamespace('kernel/shmmax')).toBe('ipc')
  })

  it('writes a dotted key by its parts, a path as it is (an interface name may hold a dot)', () => {
    expect(sysctlPath('net.ipv4.ip_forward')).toBe('/proc/sys/net/ipv4/ip_forward')
    expect(sysctlPath('net/ipv4/conf/eth0.100/forwarding')).toBe('/proc/sys/net/ipv4/conf/eth0.100/forwarding')
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
    expect(sysctlsOf(['net/ipv4/conf/eth0.100/forwarding=1'], {})).toEqual({ 'net/ipv4/conf/eth0.100/forwarding': '1' })
    for (const bad of ['net.ipv4.ip_forward', '=1', 'ip_forward=1', 'net..x=1', ' net.ipv4.ip_forward=1', 'net.x/y=1', ' =1']) {
      expect(() => sysctlsOf([bad], {}), bad).toThrow(/^--sysctl .*: give it as KEY=VALUE/)
    }
  })

  it("refuses a parameter of the host's, or of a namespace shared with the host; one joined from a container is that container's", () => {
    expect(() => sysctlsOf(['vm.swappiness=10'], {})).toThrow('--sysctl vm.swappiness: not a parameter of a namespace the container has of its own')
    expect(() => sysctlsOf(['kernel.hostname=x'], {})).toThrow('--sysctl kernel.hostname: set it with --hostname')
    expect(() => sysctlsOf(['kernel.domainname=x'], {})).toThrow('--sysctl kernel.domainname: set it with --domainname')
    expect(() => sysctlsOf(['net.ipv4.ip_forward=1'], { network: 'host' })).toThrow("--sysctl net.ipv4.ip_forward: the container shares the host's network namespace (--network host): it would change the host's")
    expect(() => sysctlsOf(['kernel.shmmax=1'], { ipc: 'host' })).toThrow("the container shares the host's IPC namespace (--ipc host)")
    expect(() => sysctlsOf(['net/ipv4/ip_forward=1'], { network: 'host' })).toThrow('--sysctl net/ipv4/ip_forward: the container shares the host')
    // a sidecar sets its pod's parameters, as runc and Docker let it
    expect(sysctlsOf(['net.ipv4.ip_forward=1'], { network: 'container:db' })).toEqual({ 'net.ipv4.ip_forward': '1' })
    expect(sysctlsOf(['fs.mqueue.msg_max=1'], { ipc: 'container:x' })).toEqual({ 'fs.mqueue.msg_max': '1' })
    // a namespace the other flag shares is no matter: IPC parameters under --network host
    expect(sysctlsOf(['kernel.shmmax=1'], { network: 'host', ipc: 'private' })).toEqual({ 'kernel.shmmax': '1' })
    expect(sysctlsOf({ 'net.ipv4.ip_forward': '1' }, { ipc: 'host', network: 'none' })).toEqual({ 'net.ipv4.ip_forward': '1' })
  })

  // where the spec is made, again: a write under the host's /proc/sys is never planned, whoever calls
  it("is checked again where the spec is made: the host's parameters never reach linux.sysctl", () => {
    const spec = (sysctls: Record<string, string>, hostNamespaces?: ('network' | 'ipc')[]) =>
      buildSpec({ id: '0123456789abcdef', rootfsPath: '/r', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], sysctls, ...(hostNamespaces ? { hostNamespaces } : {}) })
    expect(spec({ 'net.core.somaxconn': '1024', 'kernel.shmmni': '2048' }).linux.sysctl).toEqual({ 'net.core.somaxconn': '1024', 'kernel.shmmni': '2048' })
    expect(spec({}).linux.sysctl).toBeUndefined()
    expect(() => spec({ 'vm.swappiness': '1' })).toThrow(/--sysctl vm\.swappiness: not a parameter of a namespace of the container's own/)
    expect(() => spec({ 'net.ipv4.ip_forward': '0' }, ['network'])).toThrow(/--sysctl net\.ipv4\.ip_forward/)
    expect(() => spec({ 'kernel.sem': '1 1 1 1' }, ['ipc'])).toThrow(/--sysctl kernel\.sem/)
    expect(spec({ 'kernel.sem': '1 1 1 1' }, ['network']).linux.sysctl).toEqual({ 'kernel.sem': '1 1 1 1' })
  })

  it("adds Docker's defaults in a network namespace of the container's own: ports for all, ping but in a user namespace; the user's win", () => {
    const all = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' }
    expect(withNetworkDefaults(undefined, { userns: false })).toEqual(all)
    expect(withNetworkDefaults(undefined, { network: 'none', userns: false })).toEqual(all)
    expect(withNetworkDefaults({ 'net.core.somaxconn': '1' }, { network: 'mynet', userns: true })).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0', 'net.core.somaxconn': '1' })
    expect(withNetworkDefaults({ 'net.ipv4.ip_unprivileged_port_start': '80' }, { userns: false })).toMatchObject({ 'net.ipv4.ip_unprivileged_port_start': '80' })
    expect(withNetworkDefaults(undefined, { network: 'host', userns: false })).toBeUndefined()
    expect(withNetworkDefaults({ 'kernel.sem': '1 1 1 1' }, { network: 'container:db', userns: false })).toEqual({ 'kernel.sem': '1 1 1 1' })
  })
})
