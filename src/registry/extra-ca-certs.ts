/**
 * NODE_EXTRA_CA_CERTS, read when mini-run first needs TLS rather than by
 * Node at every start.
 *
 * Why: Node 20 reads and parses the file before the first line of
 * JavaScript runs, whatever the program. Set to a whole system bundle (as
 * hosts behind a corporate proxy do: Debian's ca-certificates.crt, 140
 * certificates), that is about 70 ms of OpenSSL's PEM decoding at every
 * start: twice what `node -e 0` costs without it, for a `run`, `ps` or `rm`
 * that opens no TLS connection. So the executable's #! line
 * (scripts/bundle.mjs) moves the variable out of Node's sight
 * (`env -S -u NODE_EXTRA_CA_CERTS MINI_RUN_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS}`),
 * the launcher puts it back for everything mini-run starts and marks the
 * process (DEFERRED), and the registry's HTTPS agent trusts what Node would
 * have: Node's default store (its bundled roots, or OpenSSL's with
 * --use-openssl-ca) and the file's certificates, added to a context made
 * with the defaults as Node adds the file's at start (addCACert). A file Node
 * cannot read gets the warning Node would have printed, once, and the
 * defaults alone, as Node does; one with no certificate in it adds none,
 * silently, as with Node.
 */
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { printWarning } from '../warning-line.js'

/** On globalThis, set by the launcher to the file's name when Node did not read it at start. */
export const DEFERRED = Symbol.for('mini-run.deferred-extra-ca-certs')

/** The file Node left for mini-run to read, if the launcher deferred one. */
export function deferredExtraCaCerts(): string | undefined {
  const file = (globalThis as Record<symbol, unknown>)[DEFERRED]
  return typeof file === 'string' && file !== '' ? file : undefined
}

/**
 * The TLS options of a connection that verifies certificates: a secure
 * context with the roots and the deferred file's certificates, or nothing
 * (Node's own defaults, which hold the file when Node read it at start).
 */
export function trustOptions(): { secureContext?: tls.SecureContext } {
  const file = deferredExtraCaCerts()
  if (file === undefined) return {}
  try {
    const extra = readFileSync(file)
    const secureContext = tls.createSecureContext()
    ;(secureContext.context as { addCACert(pem: Buffer): void }).addCACert(extra)
    return { secureContext }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    printWarning(`ignoring extra certs from NODE_EXTRA_CA_CERTS=${file}, load failed: ${reason}`)
    return {}
  }
}
