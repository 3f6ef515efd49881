// compose up's check of host ports before anything is made, without root:
// two services publishing one port clash, unless one of them is on internal
// networks alone, where -p publishes nothing (as Docker).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadProject } from '../src/compose/load.js'
import { checkHostPorts } from '../src/compose/ports-check.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function check(yaml: string): string | undefined {
  const dir = mkdtempSync('/tmp/mini-run-compose-')
  dirs.push(dir)
  writeFileSync(join(dir, 'compose.yaml'), yaml)
  const { project } = loadProject({ cwd: dir, env: {}, projectName: 'p' })
  try {
    checkHostPorts(join(dir, 'state'), project, Object.keys(project.services))
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

describe('compose: host ports checked before up', () => {
  const services = (bNetworks: string) => `services:\n  a:\n    image: busybox\n    ports: ["18291:80"]\n  b:\n    image: busybox\n    ports: ["18291:80"]\n${bNetworks}`

  it('two services publishing one port: the second is named', () => {
    expect(check(services(''))).toBe('compose.yaml: services.b.ports[0]: port 0.0.0.0:18291 is also published by service a')
  })

  it('a service on internal networks alone publishes nothing, so nothing clashes; with a network that has a way out besides, it does', () => {
    expect(check(services('    networks: [back]\nnetworks:\n  back: {internal: true}\n'))).toBeUndefined()
    expect(check(services('    networks: [back, default]\nnetworks:\n  back: {internal: true}\n'))).toBe('compose.yaml: services.b.ports[0]: port 0.0.0.0:18291 is also published by service a')
    // an external network is whatever it is: checked
    expect(check(services('    networks: [back]\nnetworks:\n  back: {internal: true, external: true}\n'))).toBe('compose.yaml: services.b.ports[0]: port 0.0.0.0:18291 is also published by service a')
  })
})
