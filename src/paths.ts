/**
 * Where mini-run keeps things by default: the image store (with the
 * containers' writable layers beside the image layers) under /var/lib, and
 * runtime state (lost at reboot, like the processes it describes) under
 * /run. Both must be private to their owner (src/private-dir.ts).
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function isRoot(): boolean {
  return process.getuid?.() === 0
}

/** /run/mini-run as root, $XDG_RUNTIME_DIR/mini-run otherwise (or a per-user /tmp dir). */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env): string {
  // absolute, as --state is made: netavark and aardvark-dns are given paths under it (network/idle-dns.ts)
  if (env.MINI_RUN_STATE) return resolve(env.MINI_RUN_STATE)
  if (isRoot()) return '/run/mini-run'
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'mini-run')
  return join('/tmp', `mini-run-${process.getuid?.() ?? 'user'}`)
}

/**
 * The mode of the store's root and of its containers/: 0711 as root, so
 * that a --userns=auto container's root (a host id of its own) can reach
 * its writable layer and layers below; 0700 for a user, whose containers'
 * root is the user (podman keeps ~/.local/share/containers so).
 */
export function storeRootMode(): number {
  return isRoot() ? 0o711 : 0o700
}

/** The image store root when none is given. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MINI_RUN_ROOT) return resolve(env.MINI_RUN_ROOT)
  if (isRoot()) return '/var/lib/mini-run'
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'mini-run')
}
