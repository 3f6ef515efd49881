// `mini-run system service` for a test: started on a socket in the test's
// env, stopped by its PID, and requests to it over the socket.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { miniRunAsync } from './cli.js'
import type { TestEnv } from './test-env.js'
import { until } from './until.js'

/** The docker CLI .ci/deps unpacks from Debian's docker.io (never installed: its daemon would start). */
export const DOCKER_CLI = fileURLToPath(new URL('../.tools/docker', import.meta.url))
export const hasDockerCli = existsSync(DOCKER_CLI)

export interface RunningService {
  socket: string
  pid: number
  stop(): Promise<{ status: number | null; stderr: string }>
  /** Its end, when it ends by itself. */
  ended: Promise<{ status: number | null; stderr: string }>
}

export async function startService(env: TestEnv, extra: string[] = [], socket = join(env.dir, 'docker.sock')): Promise<RunningService> {
  const service = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'system', 'service', ...extra, `unix://${socket}`])
  let ended = false
  void service.done.then(() => (ended = true))
  // answering, not only there: a killed service's socket is there too
  await until(`the service on ${socket}`, async () => ended || (existsSync(socket) && (await api(socket, 'GET', '/_ping').then((r) => r.status === 200, () => false))))
  return {
    socket,
    pid: service.child.pid!,
    ended: service.done.then((r) => ({ status: r.status, stderr: r.stderr })),
    async stop() {
      if (!ended) service.child.kill('SIGTERM')
      const r = await service.done
      return { status: r.status, stderr: r.stderr }
    },
  }
}

export interface ApiAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One request to the service: the answer whole. */
export function api(socket: string, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    // a connection of its own (agent: false): a kept-alive one the service closed while a spawnSync held
    // the test's event loop would still be in the pool, and the next request's write would meet EPIPE
    const req = request({ socketPath: socket, method, path, agent: false, headers: text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {} }, (res) => {
      let data = ''
      res.on('data', (d: Buffer) => (data += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }))
    })
    req.on('error', reject)
    req.end(text)
  })
}

export type DockerRun = (args: string[], o?: SpawnSyncOptions) => { status: number | null; stdout: string; stderr: string }

/** The docker CLI against a service, as a user with HOME and DOCKER_CONFIG of the test's own: its environment, and a run of it. */
export function dockerClient(env: TestEnv, service: RunningService): { env: NodeJS.ProcessEnv; run: DockerRun } {
  const clientEnv = { PATH: process.env.PATH, HOME: env.dir, DOCKER_HOST: `unix://${service.socket}`, DOCKER_CONFIG: join(env.dir, 'docker-config') }
  return {
    env: clientEnv,
    run: (args, o = {}) => {
      const r = spawnSync(DOCKER_CLI, args, { encoding: 'utf8', timeout: 60_000, ...o, env: clientEnv })
      return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) }
    },
  }
}
