// Where the cgroup2 filesystem is mounted, read from mountinfo(5) lines as
// the kernel writes them: optional fields before the separator, blanks in a
// mount point escaped as \040, a hybrid host's v2 tree among v1 ones.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { findCgroup2Mount } from '../src/runtime/cgroup/cgroup.js'

const line = (id: number, mountPoint: string, optional: string, fsType: string, source: string) =>
  `${id} 22 0:${id} / ${mountPoint} rw,nosuid,nodev,noexec,relatime ${optional}- ${fsType} ${source} rw\n`

describe('findCgroup2Mount', () => {
  it('finds the cgroup2 mount point among the others, past optional fields', () => {
    const info = [
      line(21, '/proc', 'shared:12 ', 'proc', 'proc'),
      line(30, '/sys/fs/cgroup', 'shared:9 ', 'tmpfs', 'tmpfs'),
      line(31, '/sys/fs/cgroup/memory', 'shared:10 master:3 ', 'cgroup', 'cgroup'),
      line(40, '/sys/fs/cgroup/unified', 'shared:11 ', 'cgroup2', 'cgroup2'),
    ].join('')
    expect(findCgroup2Mount(info)).toBe('/sys/fs/cgroup/unified')
    expect(findCgroup2Mount(line(35, '/sys/fs/cgroup', '', 'cgroup2', 'cgroup2'))).toBe('/sys/fs/cgroup')
  })

  it('unescapes a blank in the mount point, and takes no other type for cgroup2', () => {
    expect(findCgroup2Mount(line(40, '/mnt/my\\040cgroups', '', 'cgroup2', 'none'))).toBe('/mnt/my cgroups')
    // a v1 cgroup, and a source or option named cgroup2, are not the v2 tree
    const others = line(31, '/sys/fs/cgroup/cpu', '', 'cgroup', 'cgroup2') + line(32, '/cgroup2', '', 'tmpfs', 'cgroup2')
    expect(findCgroup2Mount(others)).toBeUndefined()
    expect(findCgroup2Mount('')).toBeUndefined()
  })

  it('agrees with this host', () => {
    const info = readFileSync('/proc/self/mountinfo', 'utf8')
    const v2 = info.split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '))
    expect(findCgroup2Mount(info)).toBe(v2?.split(' ')[4]?.replace(/\\040/g, ' '))
  })
})
