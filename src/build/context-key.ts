/**
 * A named build context's key (named-contexts.ts), apart from the contexts
 * themselves: compose's loader checks additional_contexts' names with it
 * without loading the build context's reader.
 */
import { familiarName, parseReference } from '../image/reference.js'

/**
 * The key a name is found by, as BuildKit's NamedContext: the reference's
 * familiar form without `:latest`, so `FROM alpine`, `FROM alpine:latest`
 * and `FROM docker.io/library/alpine` all find a context named alpine.
 * Undefined when it is no reference at all (an upper-case name).
 */
export function contextKey(name: string): string | undefined {
  try {
    parseReference(name)
  } catch {
    return undefined
  }
  return familiarName(name).replace(/:latest$/, '')
}
