/**
 * The tags of a repository, for `pull --all-tags`: GET /v2/<name>/tags/list,
 * page after page while the registry sends a Link header with rel="next"
 * (the distribution spec's pagination: a registry may cut the list short
 * and say where the rest is).
 */
import { parseReference } from '../image/reference.js'
import { clientFor, type ClientForOptions } from './client-for.js'
import { readBody } from './http.js'
import { DOCUMENT_LIMIT, headerValue } from './manifest.js'

export interface ListTagsOptions extends ClientForOptions {
  signal?: AbortSignal
}

/** The next page's URL in a Link header (`</v2/x/tags/list?last=b&n=2>; rel="next"`), against the URL asked. */
export function nextTagsPage(link: string | undefined, base: URL): URL | undefined {
  const next = link?.split(',').find((part) => /;\s*rel="?next"?/.test(part))
  const target = next?.match(/<([^>]*)>/)?.[1]
  return target === undefined ? undefined : new URL(target, base)
}

/** Every tag of `repository` (a name without tag or digest), in the registry's order. */
export async function listTags(repository: string, options: ListTagsOptions = {}): Promise<string[]> {
  const ref = parseReference(repository)
  const { client } = await clientFor(ref.domain, options, options.signal)
  const what = `tags of ${ref.repository}`
  const tags: string[] = []
  let path: string | URL = 'tags/list'
  for (;;) {
    const res = await client.request({ repository: ref.path, path, what })
    if (res.status !== 200) throw await client.failure(res, what)
    const body = await readBody(res, DOCUMENT_LIMIT, () => new Error(`${what}: the list is larger than ${DOCUMENT_LIMIT} bytes`))
    const page = JSON.parse(body.toString('utf8')) as { tags?: unknown }
    if (page.tags != null && !(Array.isArray(page.tags) && page.tags.every((t) => typeof t === 'string'))) {
      throw new Error(`${what}: the registry's answer holds no list of tags`)
    }
    tags.push(...((page.tags as string[] | null | undefined) ?? []))
    const next = nextTagsPage(headerValue(res.headers['link']), res.url)
    if (next === undefined) return tags
    path = next
  }
}
