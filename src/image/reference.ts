/**
 * Image references, normalized by Docker's rules (distribution/reference):
 *
 *   alpine                  -> docker.io/library/alpine:latest
 *   user/app:1.2            -> docker.io/user/app:1.2
 *   localhost/x             -> localhost/x:latest
 *   host:5000/a/b@sha256:...  -> host:5000/a/b@sha256:...
 *
 * The first path component is a registry host only if it contains "." or
 * ":" or is "localhost"; otherwise the image is on Docker Hub, whose API
 * lives on registry-1.docker.io.
 */
import { UsageError } from '../errors.js'

export const DEFAULT_DOMAIN = 'docker.io'
export const DEFAULT_TAG = 'latest'
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io'
const OFFICIAL_REPO_PREFIX = 'library/'
const DOCKER_HUB_API_HOST = 'registry-1.docker.io'
const NAME_TOTAL_LENGTH_MAX = 255

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const domainName = `${domainComponent}(?:\\.${domainComponent})*`
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]'
const DOMAIN_RE = new RegExp(`^(?:${domainName}|${ipv6})(?::[0-9]+)?$`)
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`)
const TAG_RE = /^[\w][\w.-]{0,127}$/
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
const SHA256_RE = /^sha256:[a-f0-9]{64}$/
// an image id: never a repository name, or `run ID` of an id not in the store would pull docker.io/library/ID
const IDENTIFIER_RE = /^[a-f0-9]{64}$/

export interface Reference {
  /** Registry host as named in references: "docker.io", "localhost", "host:5000". */
  domain: string
  /** Repository path inside the registry: "library/alpine". */
  path: string
  tag?: string
  digest?: string
  /** domain/path: "docker.io/library/alpine". */
  repository: string
  /**
   * The normalized reference: repository@digest when a digest is given (a
   * tag next to it is only a comment, as in Docker), else repository:tag.
   */
  name: string
}

function invalid(ref: string, why: string): UsageError {
  return new UsageError(`invalid reference format ${JSON.stringify(ref)}: ${why}`, { code: 'EBADREF' })
}

/** Parse and normalize an image reference; throws a UsageError naming it if invalid. */
export function parseReference(ref: string): Reference {
  if (ref === '') throw invalid(ref, 'empty reference')
  // distribution/reference's ParseNormalizedNamed, in its words (a tag after it is a name: ID:1 is accepted)
  if (IDENTIFIER_RE.test(ref)) throw new UsageError(`invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`, { code: 'EBADREF' })
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST_RE.test(digest)) throw invalid(ref, `bad digest ${JSON.stringify(digest)}`)
    if (digest.startsWith('sha256:') && !SHA256_RE.test(digest)) {
      throw invalid(ref, 'a sha256 digest is 64 lowercase hex digits')
    }
    if (!digest.startsWith('sha256:')) throw invalid(ref, `unsupported digest algorithm in ${JSON.stringify(digest)}`)
  }
  // A tag follows the last ":" only if no "/" comes after it (host:port/x).
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon !== -1 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG_RE.test(tag)) throw invalid(ref, `bad tag ${JSON.stringify(tag)} (allowed: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`)
  }
  if (rest === '') throw invalid(ref, 'missing repository name')

  let domain = DEFAULT_DOMAIN
  let path = rest
  const slash = rest.indexOf('/')
  if (slash !== -1) {
    const first = rest.slice(0, slash)
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first
      path = rest.slice(slash + 1)
      if (!DOMAIN_RE.test(domain)) throw invalid(ref, `bad registry host ${JSON.stringify(domain)}`)
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN
  if (path !== path.toLowerCase()) throw invalid(ref, `repository name ${JSON.stringify(path)} must be lowercase`)
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path
  if (!PATH_RE.test(path)) throw invalid(ref, `bad repository name ${JSON.stringify(path)}`)
  const repository = `${domain}/${path}`
  if (repository.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(ref, `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters`)
  }
  if (digest === undefined && tag === undefined) tag = DEFAULT_TAG
  const name = digest !== undefined ? `${repository}@${digest}` : `${repository}:${tag}`
  return { domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }), repository, name }
}

/** The host that serves the registry API for a reference's domain. */
export function registryApiHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_API_HOST : domain
}

/** The short form Docker prints: "alpine" for docker.io/library/alpine, "user/app" for docker.io/user/app. */
export function familiarRepository(repository: string): string {
  if (repository.startsWith(DEFAULT_DOMAIN + '/' + OFFICIAL_REPO_PREFIX)) {
    const rest = repository.slice(DEFAULT_DOMAIN.length + 1 + OFFICIAL_REPO_PREFIX.length)
    if (!rest.includes('/')) return rest
  }
  if (repository.startsWith(DEFAULT_DOMAIN + '/')) return repository.slice(DEFAULT_DOMAIN.length + 1)
  return repository
}

/** A whole reference as Docker prints it: "alpine:latest" for docker.io/library/alpine:latest; as given if it does not parse. */
export function familiarName(name: string): string {
  try {
    const parsed = parseReference(name)
    return familiarRepository(parsed.repository) + parsed.name.slice(parsed.repository.length)
  } catch {
    return name
  }
}
