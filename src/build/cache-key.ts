/**
 * Build cache keys. A step's key is the digest of its parent's key and
 * what decides its result (BuildKit's content-addressed vertices): the
 * instruction after expansion, the build arguments a RUN sees, the content
 * digest of what COPY and ADD copy. A key that matches is a step whose
 * result is known.
 */
import { sha256Digest } from '../image/digest.js'

/** Docker's predefined ARGs: usable without an ARG line, and kept out of the cache key and history. */
export const PROXY_ARGS: ReadonlySet<string> = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
])

/** A step's cache key: its parent's key and what decides its result. */
export function stepKey(parent: string, parts: readonly unknown[]): string {
  return sha256Digest(JSON.stringify([parent, ...parts]))
}
