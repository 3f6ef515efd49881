/** The push display, as `docker push` draws it (src/cli/commands/push.ts). */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { PushProgressView } from '../src/cli/commands/push.js'
import type { LayerPushProgress } from '../src/registry/push.js'

function sink(isTTY: boolean): { stream: Writable & { isTTY: boolean; columns: number }; text: () => string } {
  let text = ''
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString()
        cb()
      },
    }),
    { isTTY, columns: 100 },
  )
  return { stream, text: () => text }
}

const layer = (n: number, status: LayerPushProgress['status'], sent = 0): LayerPushProgress => ({
  digest: `sha256:${String(n).repeat(64)}`,
  size: 2_000_000,
  sent,
  status,
})

describe('PushProgressView', () => {
  it('without a TTY, prints one line per layer as it is done', () => {
    const { stream, text } = sink(false)
    const view = new PushProgressView(stream)
    const layers = [layer(1, 'waiting'), layer(2, 'waiting'), layer(3, 'waiting')]
    view.update({ type: 'resolved', name: 'x', manifestDigest: 'sha256:0', rewritten: false, layers })
    for (const [l, status] of [[layers[0]!, 'exists'], [layers[1]!, 'mounted'], [layers[2]!, 'pushed']] as const) {
      l.status = 'pushing'
      view.update({ type: 'layer', layer: l })
      l.status = status
      if (status === 'mounted') l.mountedFrom = 'library/base'
      view.update({ type: 'layer', layer: l })
    }
    view.finish()
    expect(text()).toBe('111111111111: Layer already exists\n222222222222: Mounted from library/base\n333333333333: Pushed\n')
  })

  it('on a TTY, redraws the block of layer lines in place, with a bar while sending', () => {
    const { stream, text } = sink(true)
    const view = new PushProgressView(stream)
    const layers = [layer(1, 'pushing', 500_000), layer(2, 'waiting')]
    view.update({ type: 'resolved', name: 'x', manifestDigest: 'sha256:0', rewritten: false, layers })
    layers[1]!.status = 'pushing'
    view.update({ type: 'layer', layer: layers[1]! })
    view.finish()
    const out = text()
    expect(out).toContain('\x1b[2A')
    expect(out).toContain('111111111111: Pushing  [=========>')
    expect(out).toContain('500kB/2.00MB')
    expect(out).toContain('222222222222: Preparing')
  })
})

describe('RegistryClient on a plain-HTTP loopback registry', () => {
  it('requests sent at once all fall back from HTTPS to HTTP without waiting a backoff', async () => {
    const { createServer } = await import('node:http')
    const { RegistryClient } = await import('../src/registry/client.js')
    const server = createServer((_req, res) => res.writeHead(404).end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as import('node:net').AddressInfo
      // a backoff, were one taken, would be at least 5 s
      const client = new RegistryClient(`127.0.0.1:${port}`, { retry: { baseDelayMs: 10_000 } })
      const started = Date.now()
      const answers = await Promise.all(
        [1, 2, 3].map((i) => client.request({ repository: 'a/b', method: 'HEAD', path: `blobs/sha256:${String(i).repeat(64)}`, what: 'blob' })),
      )
      for (const a of answers) a.body.resume()
      expect(answers.map((a) => a.status)).toEqual([404, 404, 404])
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      server.close()
    }
  })
})

describe('RegistryClient and refused connections', () => {
  it('says at once that nothing listens where no registry ever answered, as Docker does (no retries)', async () => {
    const { RegistryClient } = await import('../src/registry/client.js')
    const { freePort } = await import('./helpers/registry-server.js')
    const port = await freePort()
    // a retry would wait two minutes: the test's own timeout would end it first
    const client = new RegistryClient(`127.0.0.1:${port}`, { retry: { attempts: 2, baseDelayMs: 120_000, maxDelayMs: 120_000 } })
    await expect(client.request({ repository: 'a/b', path: 'manifests/latest', what: 'manifest' })).rejects.toThrow(
      `manifest: http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    )
  })

  it('retries a refused connection once the registry has answered (a restart)', async () => {
    const { createServer } = await import('node:http')
    const { RegistryClient } = await import('../src/registry/client.js')
    const serve = (port = 0) => {
      const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
      return new Promise<import('node:http').Server>((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
    }
    const first = await serve()
    const { port } = first.address() as import('node:net').AddressInfo
    const client = new RegistryClient(`127.0.0.1:${port}`, { retry: { attempts: 5, baseDelayMs: 100 } })
    const answered = await client.request({ repository: 'a/b', method: 'HEAD', path: 'manifests/latest', what: 'manifest' })
    answered.body.resume()
    // down (its keep-alive connections too), and up again on the same port after the first retry's wait
    first.closeAllConnections()
    await new Promise((resolve) => first.close(resolve))
    const again = new Promise<import('node:http').Server>((resolve) => setTimeout(() => resolve(serve(port)), 150))
    try {
      const res = await client.request({ repository: 'a/b', method: 'HEAD', path: 'manifests/latest', what: 'manifest' })
      res.body.resume()
      expect(res.status).toBe(200)
    } finally {
      ;(await again).close()
    }
  })
})
