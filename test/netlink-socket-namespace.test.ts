// A netlink socket made for another network namespace (native/netlink.c,
// mr_netlink_open): the caller's thread goes there for the socket(2) and
// back, when it may come back; else a thread of its own makes it. Either
// way the socket sees that namespace's links, and the caller's thread is in
// its own namespace after.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withNetlink, netlinkRequest } from '../src/native/netlink-calls.js'
import { getLink } from '../src/network/netlink.js'
import { isRoot } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'

const PROJECT = new URL('..', import.meta.url).pathname
const hasUnshare = spawnSync('unshare', ['--user', '--map-root-user', 'true']).status === 0

describe.skipIf(!isRoot)('a netlink socket in a network namespace (needs root: a namespace and a veth pair in it)', () => {
  let ns: Netns
  beforeAll(() => {
    ns = makeNetns()
    expect(ns.exec(['ip', 'link', 'add', 'mr-sock0', 'type', 'veth', 'peer', 'name', 'mr-sock1']).status).toBe(0)
  })
  afterAll(() => ns?.close())

  it("sees that namespace's links, and leaves the calling thread in its own", () => {
    const before = readlinkSync('/proc/thread-self/ns/net')
    const fd = openSync(`/proc/${ns.pid}/ns/net`, 'r')
    try {
      const index = withNetlink(fd, (s) => netlinkRequest(s, getLink('mr-sock0'), 'mr-sock0'))
      expect(index).toBeGreaterThan(1)
      expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before)
      // the host has no such link: a socket made after is the host's
      expect(() => withNetlink(-1, (s) => netlinkRequest(s, getLink('mr-sock0'), 'mr-sock0'))).toThrow(/ENODEV|No such device/)
    } finally {
      closeSync(fd)
    }
  })

  // root of a user namespace that shares the host's network namespace may
  // enter a namespace of its own user namespace, but not come back to the
  // host's: a thread of its own makes the socket
  it.skipIf(!hasUnshare)('still makes it, on a thread, where the caller could not come back to its namespace (unshare --user)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-netlink-'))
    try {
      const script = join(dir, 'open.mjs')
      writeFileSync(
        script,
        [
          `import { openSync, readlinkSync } from 'node:fs'`,
          `import { withNetlink, netlinkRequest } from '${PROJECT}dist/native/netlink-calls.js'`,
          `import { getLink } from '${PROJECT}dist/network/netlink.js'`,
          `const before = readlinkSync('/proc/thread-self/ns/net')`,
          `const index = withNetlink(openSync(process.argv[2], 'r'), (s) => netlinkRequest(s, getLink('mr-user0'), 'mr-user0'))`,
          `console.log(JSON.stringify({ index, back: readlinkSync('/proc/thread-self/ns/net') === before }))`,
        ].join('\n'),
      )
      // the namespace's holder goes with the shell, however it ends; a failed veth says so at once
      const inner = `unshare --net sh -c 'ip link add mr-user0 type veth peer name mr-user1 && touch "$1/ready" || touch "$1/failed"; exec sleep 60' sh "$1" & pid=$!
        trap 'kill $pid' EXIT
        while [ ! -e "$1/ready" ]; do [ -e "$1/failed" ] && { echo 'no veth in the namespace' >&2; exit 1; }; sleep 0.05; done
        "$2" "$3" /proc/$pid/ns/net`
      const r = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', inner, 'sh', dir, process.execPath, script], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' })
      expect(r.stderr).toBe('')
      expect(JSON.parse(r.stdout)).toEqual({ index: expect.any(Number), back: true })
      expect(JSON.parse(r.stdout).index).toBeGreaterThan(1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
