/**
 * Errors of talking to a registry. Each names what failed: the registry, the
 * repository, the digest. The CLI prints the message on one line.
 */
import { MiniRunError, type MiniRunErrorOptions } from '../errors.js'

/** The registry answered something we cannot use, or could not be reached. */
export class RegistryError extends MiniRunError {
  override name = 'RegistryError'
  /** HTTP status of the last answer, when there was one. */
  readonly status: number | undefined
  constructor(message: string, options: MiniRunErrorOptions & { status?: number } = {}) {
    super(message, { code: 'EREGISTRY', ...options })
    this.status = options.status
  }
}

/** The registry refused our credentials, or wants some we do not have. */
export class RegistryAuthError extends RegistryError {
  override name = 'RegistryAuthError'
  constructor(message: string, options: MiniRunErrorOptions & { status?: number } = {}) {
    super(message, { code: 'EAUTH', ...options })
  }
}

/** The manifest (tag or digest) or the repository does not exist. */
export class ManifestNotFoundError extends RegistryError {
  override name = 'ManifestNotFoundError'
  constructor(message: string, options: MiniRunErrorOptions & { status?: number } = {}) {
    super(message, { code: 'ENOTFOUND', ...options })
  }
}

/** A manifest we will not pull: schema 1, not an image, or malformed. */
export class UnsupportedManifestError extends RegistryError {
  override name = 'UnsupportedManifestError'
  constructor(message: string, options: MiniRunErrorOptions = {}) {
    super(message, { code: 'EMANIFEST', ...options })
  }
}

/** No manifest of an index matches the wanted platform. */
export class PlatformNotFoundError extends RegistryError {
  override name = 'PlatformNotFoundError'
  constructor(message: string, options: MiniRunErrorOptions = {}) {
    super(message, { code: 'EPLATFORM', ...options })
  }
}

/**
 * Content that does not match its descriptor: wrong digest, wrong size, or a
 * document larger than we accept. Never retried: the registry sent it.
 */
export class ContentVerificationError extends RegistryError {
  override name = 'ContentVerificationError'
  /** The digest the content was expected to have. */
  readonly digest: string
  constructor(digest: string, message: string, options: MiniRunErrorOptions = {}) {
    super(`${digest}: ${message}`, { code: 'EVERIFY', ...options })
    this.digest = digest
  }
}
