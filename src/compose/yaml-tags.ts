/**
 * A compose file's YAML with compose-go's two tags (loader/reset.go):
 * `key: !reset ...` drops the key, here and in the files merged before this
 * one (`ports: !reset []` leaves the service no ports); `key: !override V`
 * replaces what the earlier files said instead of merging with it
 * (`ports: !override ["8081:80"]`). The tags are taken out of the value;
 * their keys' paths go to merge.ts, which drops them from the earlier
 * files' merge before merging this file over it. And a `mode:` written as
 * 0440 is octal, as Go's YAML reads it (file-objects.ts).
 */
import { isPair, isScalar, isSeq, parseDocument, visit } from './vendor.js'

export interface TaggedYaml {
  value: unknown
  /** The paths (keys from the top) of the !reset and !override keys. */
  resets: string[][]
}

export function parseComposeYaml(text: string): TaggedYaml {
  const doc = parseDocument(text, { merge: true })
  // as yaml's parse(): the first error is thrown
  if (doc.errors.length) throw doc.errors[0]!
  const resets: string[][] = []
  visit(doc, {
    Pair(_key, pair, ancestors) {
      // a file mode written as Go's YAML reads it: 0440 is octal there (go-yaml keeps YAML 1.1's octals), decimal 440 in YAML 1.2's core schema
      const v = pair.value
      if (keyText(pair.key) === 'mode' && isScalar(v) && v.type === 'PLAIN' && /^0[0-7]+$/.test(v.source ?? '')) v.value = parseInt(v.source!, 8)
      const tag = (pair.value as { tag?: string } | null)?.tag
      if (tag !== '!reset' && tag !== '!override') return undefined
      // a key inside a list's item is dropped or replaced in this file only: lists do not merge by position
      if (!ancestors.some((a) => isSeq(a))) resets.push([...ancestors.filter(isPair).map((p) => keyText(p.key)), keyText(pair.key)])
      if (tag === '!reset') return visit.REMOVE
      ;(pair.value as { tag?: string }).tag = undefined
      return undefined
    },
  })
  return { value: doc.toJS({ maxAliasCount: 1000 }), resets }
}

function keyText(key: unknown): string {
  return String(isScalar(key) ? key.value : key)
}
