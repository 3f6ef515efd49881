/**
 * The helper's side of copy-in-userns.ts, in the container's user
 * namespace (rootless/userns-helper.ts): the ids it sees are the
 * container's, so a copy is given its source's (-a) or root's.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { copyTree } from './copy-tree.js'
import { tarFrom, tarInto } from './copy-tar.js'
import { writeIntoView } from './copy-container.js'
import type { CpRequest } from './copy-in-userns.js'
import { readError, readOnlyReason } from './copy-policy.js'
import { hostView, rootView } from './fs-view.js'
import { syncIntoView } from './sync-container.js'

const ROOT_FD = 3
const TAR_FD = 5

/** The helper's side, in the namespace: the ids it sees are the container's. */
export async function serveCopy(r: CpRequest): Promise<unknown> {
  const c = r.container
  // cp -a and compose's files keep their ids; a sync's and a plain cp's are the container root's, as an ordinary user's were
  const keepIds = r.direction === 'write' || ((r.direction === 'in' || r.direction === 'out') && r.archive)
  const view = rootView({
    rootFd: ROOT_FD,
    name: `container ${c.name}`,
    ref: c.name,
    readOnly: (path) => readOnlyReason(c, path),
    owner: (src) => (keepIds ? { uid: src.uid, gid: src.gid } : { uid: 0, gid: 0 }),
    inside: (id) => id,
  })
  if (r.direction === 'sync') return syncIntoView(view, r.items, (dst) => (c.status !== 'running' ? readOnlyReason(c, dst, true) : undefined)).failures
  if (r.direction === 'write') {
    writeIntoView(view, r.files.map((f) => ({ ...f, content: Buffer.from(f.content, 'base64') })))
    return true
  }
  const o = { archive: r.archive, followLink: r.followLink }
  if (r.direction === 'in') {
    if (r.src !== undefined) copyTree({ view: hostView(), path: r.src }, { view, path: r.dst! }, o)
    else await tarInto({ view, path: r.dst! }, process.stdin)
    return true
  }
  try {
    const out = createWriteStream('', { fd: TAR_FD })
    await tarFrom({ view, path: r.src! }, o, async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain')
    })
    out.end()
    await once(out, 'finish')
  } catch (err) {
    throw readError(c, r.src!, err)
  }
  return true
}
