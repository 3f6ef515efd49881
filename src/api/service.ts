/**
 * What every request handler of the service is given: where the store and
 * the states are, the global options its `mini-run` children get, and the
 * little the service itself remembers between requests (attach
 * connections waiting for their container's start, exec instances not yet
 * started). Everything else is read from the store and the states afresh.
 */
import type { ChildProcess } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable, Writable } from 'node:stream'
import type { GlobalOptions } from '../cli/global-options.js'

/** An output stream opened by attach or exec start: a hijacked socket, or a plain answer's body. */
export interface StreamTarget {
  out: Writable
  /** The client's input (the hijacked socket), for stdin. */
  input?: Readable
  /** Send the answer's head: 101 UPGRADED, or 200 with the stream's content type. */
  begin(): void
  /** Answer with an error before begin. */
  fail(err: unknown): void
}

export interface PendingAttach {
  target: StreamTarget
  stdin: boolean
  stdout: boolean
  stderr: boolean
}

export interface ExecRecord {
  id: string
  containerId: string
  config: Record<string, unknown>
  running: boolean
  exitCode: number | null
  pid: number
  /** A running exec's script(1), whose pty is its terminal (api-attach.ts execResizeRoute). */
  terminalPid?: number
  /** Started with Detach: under a monitor of its own, which holds its terminal if it has one (exec-records.ts). */
  detached?: boolean
  /** Detached, and `mini-run exec -d` not done yet: no record to read. */
  starting?: boolean
  created: number
  endedAt?: number
}

export interface Service {
  global: GlobalOptions
  stateRoot: string
  storeRoot: string
  pendingAttach: Map<string, PendingAttach[]>
  execs: Map<string, ExecRecord>
  /** mini-run children that stream (logs -f, attach, exec): ended with the service. */
  children: Set<ChildProcess>
}

export interface Call {
  svc: Service
  req: IncomingMessage
  /** Undefined for an upgraded (hijacked) request: stream routes use target. */
  res: ServerResponse
  params: string[]
  query: URLSearchParams
}

export interface StreamCall extends Omit<Call, 'res'> {
  target: StreamTarget
  /** A hijacked request's body, read off the socket before it became the stream (exec start's {"Detach", "Tty"}). */
  body?: Buffer
}

export type Handler = (call: Call) => Promise<void>
export type StreamHandler = (call: StreamCall) => Promise<void>

export function track(svc: Service, child: ChildProcess): ChildProcess {
  svc.children.add(child)
  child.once('close', () => svc.children.delete(child))
  return child
}
