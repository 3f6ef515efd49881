/**
 * The Engine API's HTTP conventions, as Docker's daemon answers: JSON
 * bodies, errors as {"message": "..."}, booleans in the query as "1",
 * "true" or "True", filters as a JSON map of lists, and the headers a
 * client reads from every answer (Api-Version, which `docker` negotiates
 * down to from /_ping).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiError } from './cli-call.js'
import { miniRunVersion } from '../version.js'

/** The version of the Engine API served: Docker 20.10's, which Debian 12's docker and python3-docker speak. */
export const API_VERSION = '1.41'
export const MIN_API_VERSION = '1.24'

let headers: Record<string, string> | undefined
/** The headers of every answer. */
export function apiHeaders(): Record<string, string> {
  headers ??= { 'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: `mini-run/${miniRunVersion()}` }
  return headers
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...apiHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, apiHeaders())
  res.end()
}

export function sendError(res: ServerResponse, err: unknown): void {
  const status = err instanceof ApiError ? err.status : 500
  const message = err instanceof Error ? err.message : String(err)
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendJson(res, status, { message })
}

/** A JSON body, at most 4 MiB (a create's body is a few kB); none is {}. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 4 << 20) throw new ApiError(413, 'request body too large')
    chunks.push(chunk)
  }
  return parseJson(Buffer.concat(chunks))
}

/** A body as a JSON object; none is {}. */
export function parseJson(bytes: Buffer): Record<string, unknown> {
  const text = bytes.toString().trim()
  if (text === '' || text === 'null') return {}
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object')
    return body as Record<string, unknown>
  } catch (err) {
    throw new ApiError(400, `invalid JSON body: ${(err as Error).message}`)
  }
}

/** A query boolean as Docker's httputils.BoolValue reads it: anything but "", "0", "no", "false", "none". */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const v = (query.get(name) ?? '').trim().toLowerCase()
  return !['', '0', 'no', 'false', 'none'].includes(v)
}

/** filters={"label":["a=b"],"status":["running"]} (or the old {"label":{"a=b":true}}) as key=value flags. */
export function queryFilters(query: URLSearchParams): string[] {
  const raw = query.get('filters')
  if (!raw) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new ApiError(400, `invalid filters: ${raw}`)
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ApiError(400, `invalid filters: ${raw}`)
  return Object.entries(parsed as Record<string, unknown>).flatMap(([key, values]) => {
    const list = Array.isArray(values) ? values : typeof values === 'object' && values !== null ? Object.keys(values) : []
    return list.map((v) => `${key}=${String(v)}`)
  })
}

/** The API version a path asks for (/v1.41/...), and the path without it. */
export function splitVersion(pathname: string): { version?: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname)
  return m ? { version: m[1]!, path: m[2]! } : { path: pathname }
}

const versionNumber = (v: string): number => {
  const [major, minor] = v.split('.').map(Number)
  return major! * 1000 + minor!
}

/** Docker's refusal of a client newer than the daemon, or older than it still serves. */
export function checkVersion(version: string | undefined): void {
  if (version === undefined) return
  if (versionNumber(version) > versionNumber(API_VERSION)) throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`)
  if (versionNumber(version) < versionNumber(MIN_API_VERSION)) throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`)
}
