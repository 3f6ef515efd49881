// Docker's block I/O flags (--blkio-weight, --blkio-weight-device,
// --device-{read,write}-{bps,iops}) and compose's blkio_config, and cgroup
// v1's memory knobs (--memory-swappiness, --oom-kill-disable): parsing in
// docker/cli's words, device paths made major:minor as the daemon does, the
// weights discarded with Docker's warnings where the host has none, and on
// this hybrid host (blkio and memory bound to v1) the files of the
// container's v1 leaves.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { blockDeviceNumbers, blockIOAgain, blockIOFromFlags, ramInBytes } from '../src/runtime/cgroup/blkio-flags.js'
import { discardUnsupportedWeights, discardV1MemoryKnobs } from '../src/runtime/cgroup/unsupported-limits.js'
import { limitFiles, resourcesFromFlags } from '../src/runtime/cgroup/cgroup-limits.js'
import { findV1Hierarchies, limitFilesV1, ownCgroups } from '../src/runtime/cgroup/cgroup-v1.js'
import { configYaml } from '../src/compose/config-document.js'
import { loadProject } from '../src/compose/load.js'
import { serviceRunFlags } from '../src/compose/service-flags.js'
import { isRoot, makeTestEnv } from './helpers/test-env.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
const tempDir = () => {
  const d = mkdtempSync('/tmp/mini-run-blkio-')
  dirs.push(d)
  return d
}

/** A block device of this machine with its node in /dev, and its numbers from sysfs. */
const blockDevice = (() => {
  for (const name of existsSync('/sys/block') ? readdirSync('/sys/block') : []) {
    const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number)
    if (existsSync(`/dev/${name}`)) return { path: `/dev/${name}`, major: major!, minor: minor! }
  }
  return undefined
})()

const refusal = (f: Parameters<typeof blockIOFromFlags>[0]) => {
  try {
    blockIOFromFlags(f, false)
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

describe('the flags', () => {
  it('read sizes as go-units RAMInBytes does (powers of 1024)', () => {
    expect(['10', '1k', '1kb', '1KiB', '1.5m', '2 g', '1x', 'm', '-1', '1.2.3'].map(ramInBytes)).toEqual([10, 1024, 1024, 1024, 1.5 * 1024 ** 2, 2 * 1024 ** 3, undefined, undefined, undefined, undefined])
  })

  it('become blockIO in order, weight 0 meaning none', () => {
    expect(
      blockIOFromFlags(
        { blkioWeight: '300', blkioWeightDevice: ['/dev/a:20', '/dev/b:0'], deviceReadBps: ['/dev/a:1mb'], deviceWriteBps: ['/dev/a:512'], deviceReadIops: ['/dev/a:100'], deviceWriteIops: ['/dev/b:7'] },
        false,
      ),
    ).toEqual({
      weight: 300,
      weightDevice: [{ major: 0, minor: 0, weight: 20 }, { major: 0, minor: 0 }],
      throttleReadBpsDevice: [{ major: 0, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 0, minor: 0, rate: 512 }],
      throttleReadIOPSDevice: [{ major: 0, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 0, minor: 0, rate: 7 }],
    })
    expect(blockIOFromFlags({ blkioWeight: '0' }, false)).toBeUndefined()
    // a path with colons in it is one path: the value never has one
    expect(blockIOFromFlags({ deviceReadIops: ['/dev/disk/by-path/pci-0000:00:1f.2-ata-1:5'] }, false)).toEqual({ throttleReadIOPSDevice: [{ major: 0, minor: 0, rate: 5 }] })
    expect(blockIOFromFlags({}, false)).toBeUndefined()
  })

  it('are refused in docker/cli\'s and the daemon\'s words', () => {
    expect(refusal({ blkioWeight: '5' })).toBe('Range of blkio weight is from 10 to 1000')
    expect(refusal({ blkioWeight: 'x' })).toBe('Range of blkio weight is from 10 to 1000')
    expect(refusal({ blkioWeightDevice: ['/dev/a:2000'] })).toBe('invalid weight for device: /dev/a:2000')
    expect(refusal({ deviceReadBps: ['/dev/a'] })).toBe('bad format: /dev/a')
    expect(refusal({ deviceReadBps: [':1mb'] })).toBe('bad format: :1mb')
    expect(refusal({ deviceWriteBps: ['sda:1mb'] })).toBe('bad format for device path: sda:1mb')
    expect(refusal({ deviceReadBps: ['/dev/a:1x'] })).toBe(
      'invalid rate for device: /dev/a:1x. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb',
    )
    expect(refusal({ deviceReadIops: ['/dev/a:1k'] })).toBe('invalid rate for device: /dev/a:1k. The correct format is <device-path>:<number>. Number must be a positive integer')
  })

  it.skipIf(!blockDevice)('name a device by its node on this host: its major and minor, a block device only (needs a block device)', () => {
    expect(() => blockDeviceNumbers('/dev/null')).toThrow('/dev/null is not a block device')
    expect(() => blockDeviceNumbers('/dev/no-such-device')).toThrow('stat /dev/no-such-device: no such file or directory')
    const dev = blockDevice!
    expect(blockDeviceNumbers(dev.path)).toEqual({ major: dev.major, minor: dev.minor })
    // a later start finds each device again by its path, as Docker's daemon does at every start
    const recorded = { weight: 300, throttleReadBpsDevice: [{ major: 0, minor: 0, rate: 5 }], throttleWriteIOPSDevice: [{ major: 9, minor: 9, rate: 7 }] }
    expect(blockIOAgain(recorded, { deviceReadBps: [`${dev.path}:5`], deviceWriteIops: [`${dev.path}:7`] })).toEqual({
      weight: 300,
      throttleReadBpsDevice: [{ major: dev.major, minor: dev.minor, rate: 5 }],
      throttleWriteIOPSDevice: [{ major: dev.major, minor: dev.minor, rate: 7 }],
    })
    expect(() => blockIOAgain(recorded, { deviceReadBps: ['/dev/gone-since:5'] })).toThrow('stat /dev/gone-since: no such file or directory')
  })

  it('are written as io.weight and io.max on cgroup v2, blkio files on v1 (the weight unconverted there)', () => {
    const io = { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 10 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1024 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 9 }] }
    expect(limitFiles({ blockIO: io }).map((f) => `${f.file} ${f.value}`)).toEqual(['io.weight default 4950', 'io.weight 8:0 1', 'io.max 8:0 rbps=1024', 'io.max 8:16 wiops=9'])
    expect(limitFilesV1({ blockIO: io }).map((f) => `${f.file} ${f.value}`)).toEqual([
      'blkio.weight 500',
      'blkio.weight_device 8:0 10',
      'blkio.throttle.read_bps_device 8:0 1024',
      'blkio.throttle.write_iops_device 8:16 9',
    ])
  })
})

describe('a host without weights', () => {
  it('discards them with Docker\'s warnings where the v1 blkio hierarchy has no blkio.weight, and keeps the throttles', () => {
    const mount = tempDir()
    const host = { v2Controllers: ['hugetlb'], v1: [{ mount, controllers: ['blkio'] }] }
    const throttle = { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] }
    expect(discardUnsupportedWeights({ pids: { limit: 5 }, blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 20 }], ...throttle } }, host)).toEqual({
      resources: { pids: { limit: 5 }, blockIO: throttle },
      warnings: [
        'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
        'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
      ],
    })
    // nothing left to limit: no limits at all
    expect(discardUnsupportedWeights({ blockIO: { weight: 300 } }, host).resources).toBeUndefined()
    // with the file, or with v2's io controller, they stay
    writeFileSync(join(mount, 'blkio.weight'), '')
    expect(discardUnsupportedWeights({ blockIO: { weight: 300 } }, host)).toEqual({ resources: { blockIO: { weight: 300 } }, warnings: [] })
    expect(discardUnsupportedWeights({ blockIO: { weight: 300 } }, { v2Controllers: ['io'], v1: [] }).warnings).toEqual([])
  })
})

describe('cgroup v1\'s memory knobs', () => {
  it('are read as Docker reads them: -1 for none, 0 to 100', () => {
    expect(resourcesFromFlags({ memorySwappiness: '10', oomKillDisable: true }, false)).toEqual({ memory: { swappiness: 10, disableOOMKiller: true } })
    expect(resourcesFromFlags({ memorySwappiness: '-1' }, false)).toBeUndefined()
    expect(() => resourcesFromFlags({ memorySwappiness: '200' }, false)).toThrow('invalid value: 200. Valid memory swappiness range is 0-100')
    expect(() => resourcesFromFlags({ memorySwappiness: 'x' }, false)).toThrow('invalid --memory-swappiness "x": an integer')
  })

  it('are kept where memory goes to a v1 hierarchy as root, and discarded with Docker\'s warnings where it goes to cgroup v2', () => {
    const hybrid = { v2Controllers: ['hugetlb'], v1: [{ mount: '/sys/fs/cgroup/memory', controllers: ['memory'] }] }
    const pureV2 = { v2Controllers: ['memory', 'io'], v1: [] }
    const knobs = { memory: { limit: 64 << 20, swappiness: 10, disableOOMKiller: true } }
    expect(discardV1MemoryKnobs(knobs, hybrid, true)).toEqual({ resources: knobs, warnings: [] })
    expect(discardV1MemoryKnobs({ memory: { disableOOMKiller: true } }, hybrid, true).warnings).toEqual([
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    ])
    const dropped = {
      resources: { memory: { limit: 64 << 20 } },
      warnings: [
        'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
        'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
      ],
    }
    expect(discardV1MemoryKnobs(knobs, pureV2, true)).toEqual(dropped)
    // a rootless run has no v1 leaves
    expect(discardV1MemoryKnobs(knobs, hybrid, false)).toEqual(dropped)
    expect(discardV1MemoryKnobs({ memory: { swappiness: 0 } }, pureV2, true).resources).toBeUndefined()
  })
})

describe('compose blkio_config', () => {
  const load = (yaml: string) => {
    const dir = tempDir()
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    return loadProject({ cwd: dir, env: {} }).project
  }
  const service = (blkio: string) => `services:\n  a:\n    image: busybox\n    blkio_config:\n${blkio}`

  it('becomes run\'s flags, a bps rate in bytes, and config prints it as compose-go does', () => {
    const p = load(
      service(
        '      weight: 300\n      weight_device: [{path: /dev/sda, weight: 400}]\n      device_read_bps: [{path: /dev/sda, rate: 12mb}]\n      device_write_bps: [{path: /dev/sda, rate: 1024}]\n      device_read_iops: [{path: /dev/sda, rate: "120"}]\n      device_write_iops: [{path: /dev/sdb, rate: 1k}]\n',
      ),
    )
    const { flags } = serviceRunFlags({ service: p.services.a!, containerName: 'x', networks: [], volumeNames: {}, labels: {}, detach: true })
    expect([flags.blkioWeight, flags.blkioWeightDevice, flags.deviceReadBps, flags.deviceWriteBps, flags.deviceReadIops, flags.deviceWriteIops]).toEqual([
      '300', ['/dev/sda:400'], ['/dev/sda:12582912'], ['/dev/sda:1024'], ['/dev/sda:120'], ['/dev/sdb:1024'],
    ])
    expect(configYaml(p)).toContain(
      '    blkio_config:\n      weight: 300\n      weight_device:\n        - path: /dev/sda\n          weight: 400\n      device_read_bps:\n        - path: /dev/sda\n          rate: "12582912"\n      device_read_iops:\n        - path: /dev/sda\n          rate: "120"\n      device_write_bps:\n',
    )
    // mem_swappiness and oom_kill_disable are run's flags too
    const knobs = load('services:\n  a:\n    image: busybox\n    mem_swappiness: 10\n    oom_kill_disable: true\n')
    const knobFlags = serviceRunFlags({ service: knobs.services.a!, containerName: 'x', networks: [], volumeNames: {}, labels: {}, detach: true }).flags
    expect([knobFlags.memorySwappiness, knobFlags.oomKillDisable]).toEqual(['10', true])
    // compose-go's order and its UnitBytes' quoted number
    expect(configYaml(knobs)).toMatch(/mem_swappiness: "10"\n[\s\S]*networks:[\s\S]*oom_kill_disable: true\n/)
    // 0 is none, as Docker Compose sends none for it
    expect('memSwappiness' in load('services:\n  a:\n    image: busybox\n    mem_swappiness: 0\n').services.a!).toBe(false)
    // none given: no key, so the services' hashes are as they were
    expect('blkio' in load('services:\n  a:\n    image: busybox\n').services.a!).toBe(false)
  })

  it('refuses a bad value at its path', () => {
    const fails = (blkio: string) => {
      try {
        load(service(blkio))
      } catch (err) {
        return (err as Error).message
      }
      return 'loaded'
    }
    expect(fails('      weight: 5\n')).toMatch(/services\.a\.blkio_config\.weight: Range of blkio weight is from 10 to 1000$/)
    expect(fails('      device_read_bps: [{path: /dev/sda, rate: 12xb}]\n')).toMatch(/services\.a\.blkio_config\.device_read_bps\[0\]\.rate: invalid rate "12xb"/)
    expect(fails('      device_write_iops: [{path: /dev/sda, rate: 1}, {path: sdb, rate: 2}]\n')).toMatch(/services\.a\.blkio_config\.device_write_iops\[1\]: bad format for device path: sdb:2$/)
    expect(fails('      weight_device: [{path: /dev/sda}]\n')).toMatch(/services\.a\.blkio_config\.weight_device\[0\]/)
    const swappiness = (() => {
      try {
        load('services:\n  a:\n    image: busybox\n    mem_swappiness: 101\n')
      } catch (err) {
        return (err as Error).message
      }
      return 'loaded'
    })()
    expect(swappiness).toMatch(/services\.a\.mem_swappiness: invalid value: 101\. Valid memory swappiness range is 0-100$/)
  })
})

const blkioV1 = findV1Hierarchies().find((h) => h.controllers.includes('blkio'))
const v2HasIo = (() => {
  try {
    return /\bio\b/.test(readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8'))
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot || !blkioV1 || v2HasIo || !blockDevice)('on this hybrid host, through the v1 blkio controller (needs root, a v1 blkio hierarchy, a block device)', () => {
  it('writes the throttles to the container\'s leaf, shows them in inspect, warns of a weight it cannot set, and rm -f leaves no leaf', async () => {
    const env = await makeTestEnv()
    const leaves = () => {
      const own = join(blkioV1!.mount, ownCgroups().v1.get('blkio') ?? '/', env.cgroupParent)
      return existsSync(own) ? readdirSync(own) : []
    }
    const dev = blockDevice!
    try {
      const run = env.run(env.runArgs(['-d', '--device-read-bps', `${dev.path}:1mb`, '--device-write-iops', `${dev.path}:100`, '--blkio-weight-device', `${dev.path}:200`, 'localhost/test/busybox', 'sleep', '60']).filter((a) => a !== '--rm'))
      expect(run.status, run.stderr).toBe(0)
      const weights = existsSync(join(blkioV1!.mount, 'blkio.weight'))
      expect(run.stderr).toBe(weights ? '' : 'mini-run: Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.\n')
      const id = run.stdout.trim()
      const leaf = join(blkioV1!.mount, ownCgroups().v1.get('blkio') ?? '/', env.cgroupParent, id)
      const read = (file: string) => readFileSync(join(leaf, file), 'utf8').trim()
      expect(read('blkio.throttle.read_bps_device')).toBe(`${dev.major}:${dev.minor} 1048576`)
      expect(read('blkio.throttle.write_iops_device')).toBe(`${dev.major}:${dev.minor} 100`)
      // the container's process is in it
      expect(read('cgroup.procs')).toMatch(/^\d+$/m)
      const host = JSON.parse(env.run(['inspect', id]).stdout)[0].HostConfig
      expect([host.BlkioWeight, host.BlkioDeviceReadBps, host.BlkioDeviceWriteIOps, host.BlkioDeviceWriteBps]).toEqual([0, [{ Path: dev.path, Rate: 1048576 }], [{ Path: dev.path, Rate: 100 }], []])
      // stopped and started again: its devices found again by their paths, the leaf made anew. The
      // recorded numbers made wrong first (as after a reboot that renumbered the disk): the start stats again
      expect(env.run(['stop', '-t', '0', id]).status).toBe(0)
      expect(existsSync(leaf)).toBe(false)
      const configFile = join(env.stateRoot, id, 'config.json')
      const config = JSON.parse(readFileSync(configFile, 'utf8'))
      config.spec.linux.resources.blockIO.throttleReadBpsDevice[0] = { major: 1, minor: 3, rate: 1048576 }
      writeFileSync(configFile, JSON.stringify(config))
      const started = env.run(['start', id])
      expect(started.status, started.stderr).toBe(0)
      expect(read('blkio.throttle.read_bps_device')).toBe(`${dev.major}:${dev.minor} 1048576`)
      // discarded: none, as Docker's daemon empties the list
      expect(host.BlkioWeightDevice).toEqual(weights ? [{ Path: dev.path, Weight: 200 }] : [])
      expect(env.run(['rm', '-f', id]).status).toBe(0)
      expect(leaves()).toEqual([])
      expect(env.leftovers()).toEqual([])

      const refused: [string[], string][] = [
        [['--device-read-bps', '/dev/null:1mb'], '/dev/null is not a block device'],
        [['--device-read-iops', '/dev/no-such-device:5'], 'stat /dev/no-such-device: no such file or directory'],
        [['--blkio-weight', '1'], 'Range of blkio weight is from 10 to 1000'],
      ]
      for (const [flags, message] of refused) {
        const r = env.run(env.runArgs([...flags, 'localhost/test/busybox', 'true']))
        expect([r.status, r.stderr]).toEqual([125, `mini-run: ${message}\n`])
      }
      expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    } finally {
      env.cleanup()
    }
  })
})

const memoryV1 = findV1Hierarchies().find((h) => h.controllers.includes('memory'))
const v2HasMemory = (() => {
  try {
    return /\bmemory\b/.test(readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8'))
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot || !memoryV1 || v2HasMemory)('--memory-swappiness and --oom-kill-disable on this hybrid host, through the v1 memory controller (needs root, a v1 memory hierarchy)', () => {
  it('writes memory.swappiness and memory.oom_control in the container\'s leaf and shows them in inspect', async () => {
    const env = await makeTestEnv()
    try {
      const run = env.run(env.runArgs(['-d', '-m', '32m', '--memory-swappiness', '10', '--oom-kill-disable', 'localhost/test/busybox', 'sleep', '60']).filter((a) => a !== '--rm'))
      expect([run.status, run.stderr]).toEqual([0, ''])
      const id = run.stdout.trim()
      const leaf = join(memoryV1!.mount, ownCgroups().v1.get('memory') ?? '/', env.cgroupParent, id)
      expect(readFileSync(join(leaf, 'memory.swappiness'), 'utf8').trim()).toBe('10')
      expect(readFileSync(join(leaf, 'memory.oom_control'), 'utf8')).toMatch(/^oom_kill_disable 1$/m)
      const host = JSON.parse(env.run(['inspect', id]).stdout)[0].HostConfig
      expect([host.MemorySwappiness, host.OomKillDisable]).toEqual([10, true])
      expect(env.run(['rm', '-f', id]).status).toBe(0)
      // none given: Docker's null and false
      const plain = env.run(env.runArgs(['-d', 'localhost/test/busybox', 'sleep', '60']).filter((a) => a !== '--rm'))
      const shown = JSON.parse(env.run(['inspect', plain.stdout.trim()]).stdout)[0].HostConfig
      expect([shown.MemorySwappiness, shown.OomKillDisable]).toEqual([null, false])
      expect(env.run(['rm', '-f', plain.stdout.trim()]).status).toBe(0)
      expect(env.leftovers()).toEqual([])
    } finally {
      env.cleanup()
    }
  })
})
