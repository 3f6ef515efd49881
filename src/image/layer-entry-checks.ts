/**
 * What a layer entry may be before anything is written: the limits on a
 * layer's size, entry count and depth, and the split of an entry path into
 * components that refuses, rather than cleans, what could escape the layer.
 * Apart from unpack-layer.ts because the store and the rootless helper take
 * the limits without writing anything.
 */

export interface UnpackLimits {
  /** Bytes of file content. */
  maxBytes: number
  /** Tar entries, metadata headers not counted. */
  maxEntries: number
  /** Path components of one entry. */
  maxDepth: number
}

export const DEFAULT_LIMITS: UnpackLimits = {
  maxBytes: 64 * 1024 ** 3,
  maxEntries: 2_000_000,
  maxDepth: 256,
}

/**
 * Split an entry path into components, or throw: absolute paths and ".."
 * are refused (not cleaned), "./" prefixes, "." components and repeated or
 * trailing slashes are dropped. [] is the layer root.
 */
export function splitEntryPath(path: string): string[] {
  if (path.startsWith('/')) throw new Error('absolute path')
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') throw new Error('path escapes the layer with ".."')
    if (part.includes('\0')) throw new Error('path holds a NUL byte')
    parts.push(part)
  }
  return parts
}
