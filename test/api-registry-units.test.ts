// The registry side of the API without a registry: a killed service's
// request configurations swept by the next one, and output lines kept whole
// across a child's chunks.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { lineReader, sweepRequestConfigs } from '../src/api/api-registry.js'
import type { Service } from '../src/api/service.js'
import { processStartTime } from '../src/proc-stat.js'

describe('the API\'s registry side', () => {
  it('a service sweeps the request configurations of services that are gone, not those of one that runs', () => {
    const stateRoot = mkdtempSync(join(tmpdir(), 'mini-run-sweep-'))
    try {
      // a PID that was a process a moment ago and is none now
      const gone = spawnSync('true').pid!
      const dir = join(stateRoot, 'api-auth')
      mkdirSync(dir, { mode: 0o700 })
      const started = processStartTime(process.pid)!
      // a service gone; this one; a PID of a gone service that another process has now (its start time differs)
      for (const name of [`request-${gone}-123-abc`, `request-${process.pid}-${started}-def`, `request-${process.pid}-1-ghi`, 'other']) {
        mkdirSync(join(dir, name))
        writeFileSync(join(dir, name, 'config.json'), '{"auths":{}}')
      }
      sweepRequestConfigs({ stateRoot } as Service)
      expect(readdirSync(dir).sort()).toEqual(['other', `request-${process.pid}-${started}-def`])
      // no directory yet: nothing to do
      sweepRequestConfigs({ stateRoot: join(stateRoot, 'none') } as Service)
    } finally {
      rmSync(stateRoot, { recursive: true, force: true })
    }
  })

  it('lines cut between chunks come out whole; \r\n, \r and a last line without its end count', () => {
    const got: string[] = []
    const r = lineReader((l) => got.push(l))
    r.push(Buffer.from('1: digest: sha256:ab'))
    r.push(Buffer.from('cd size: 5\r\nnext\rlast'))
    expect(got).toEqual(['1: digest: sha256:abcd size: 5', 'next'])
    r.end()
    expect(got).toEqual(['1: digest: sha256:abcd size: 5', 'next', 'last'])
    // a character of two bytes cut between chunks
    const bytes = Buffer.from('größe\n')
    const whole: string[] = []
    const split = lineReader((l) => whole.push(l))
    split.push(bytes.subarray(0, 4))
    split.push(bytes.subarray(4))
    expect(whole).toEqual(['größe'])
  })
})
