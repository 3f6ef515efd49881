/**
 * Bytes of file content under a directory: what Docker's SIZE columns count
 * (a layer's content, a container's writable layer), not blocks. A file with
 * several hard links counts once.
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

export async function treeSize(path: string): Promise<number> {
  const seen = new Set<string>()
  const walk = async (p: string): Promise<number> => {
    const st = await lstat(p).catch(() => undefined)
    if (!st) return 0
    if (st.isDirectory()) {
      let total = 0
      for (const name of await readdir(p).catch(() => [] as string[])) total += await walk(join(p, name))
      return total
    }
    if (!st.isFile()) return 0
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`
      if (seen.has(key)) return 0
      seen.add(key)
    }
    return st.size
  }
  return walk(path)
}
