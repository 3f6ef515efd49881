/**
 * The names of the store's tmp/ entries (store-tmp.ts says what they are
 * for): each names the process that owns it, by pid and by the process's
 * start time, so that an entry of a process gone is known for garbage. Apart
 * from store-tmp.ts for the run path, which names one entry (a --rm
 * container's writable layer, set aside: run-foreground.ts) and needs none
 * of the rest.
 */
import { processStartTime } from '../proc-stat.js'
import { randomHex } from '../random.js'

let ownTag: string | undefined
function ownerTag(): string {
  ownTag ??= `${process.pid}.${processStartTime(process.pid) ?? '0'}`
  return ownTag
}

/** A fresh path in tmpDir owned by this process: <kind>-<pid>.<start>-<random>. */
export function tmpPath(tmpDir: string, kind: string): string {
  return `${tmpDir}/${kind}-${ownerTag()}-${randomHex(6)}`
}

/** <kind>-<pid>.<start>-<random>: the owner's pid and start time. */
export const TMP_NAME_RE = /^[a-z]+-(\d+)\.(\d+)-[0-9a-f]+$/
