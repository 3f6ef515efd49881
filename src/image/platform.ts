/**
 * Platforms (os/architecture/variant) and picking one manifest from an index,
 * as `docker pull` does: the host's platform unless told otherwise.
 */
import { UsageError } from '../errors.js'
import type { Descriptor, ImageIndex, Platform } from './oci.js'

// Node's process.arch names -> Go's GOARCH names, which images use.
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
}

export function hostPlatform(): Platform {
  const architecture = GOARCH[process.arch] ?? process.arch
  return { os: 'linux', architecture, ...(architecture === 'arm64' && { variant: 'v8' }) }
}

/** Parse "os/arch[/variant]", e.g. "linux/arm64/v8"; throws a UsageError naming it. */
export function parsePlatform(spec: string): Platform {
  const parts = spec.split('/')
  const [os, architecture, variant] = parts
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || (parts.length === 3 && !variant)) {
    throw new UsageError(`invalid platform ${JSON.stringify(spec)}: expected os/arch[/variant]`)
  }
  return { os, architecture, ...(variant !== undefined && { variant }) }
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`
}

/** arm64 images often omit "v8"; treat a missing variant as the default one. */
function variantMatches(want: Platform, have: Platform): boolean {
  if (!want.variant || !have.variant) return true
  return want.variant === have.variant
}

/**
 * The index entry for a platform, or undefined. Entries without a platform
 * (attestations are "unknown/unknown") never match.
 */
export function selectManifest(index: ImageIndex, want: Platform = hostPlatform()): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture,
  )
  return (
    candidates.find((d) => d.platform!.variant === want.variant) ??
    candidates.find((d) => variantMatches(want, d.platform!))
  )
}

/** The image's os/architecture when it is not the one wanted (an image that names none matches). */
export function platformMismatch(config: { architecture?: string; os?: string }, want: { os: string; architecture: string }): string | undefined {
  if (!config.architecture || !config.os) return undefined
  if (config.os === want.os && config.architecture === want.architecture) return undefined
  return `${config.os}/${config.architecture}`
}
