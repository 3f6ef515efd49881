/**
 * /containers/...: the Engine API's container endpoints. Reads (list,
 * inspect, wait) look at the states in-process, as `ps` and `inspect` do;
 * changes run the `mini-run` verb a user would type (cli-call.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiError, runCli } from './cli-call.js'
import { createArgs, updateFlags } from './create-args.js'
import { containerSummary } from './container-summary.js'
import { apiHeaders, queryBool, queryFilters, readJson, sendEmpty, sendJson } from './api-http.js'
import { logBounds, logPathOf, streamLog } from './api-logs.js'
import type { Call } from './service.js'
import { containerOf, exitFromEvents, running } from './container-ref.js'
import { startAttached } from './api-attach.js'
import { currentInfo, listContainers, logFile } from '../runtime/container/containers.js'
import { inspectJson } from '../cli/inspect-json.js'
import { dockerStatus, filterContainers, parseFilters } from '../runtime/container/filter-containers.js'
import { statusText } from '../cli/format-status.js'
import { getLogger } from '../log.js'
import { waitContainer } from '../runtime/container/wait-container.js'
import { containerSize } from '../runtime/container/container-size.js'


export async function listRoute({ svc, res, query }: Call): Promise<void> {
  const filters = parseFilters(queryFilters(query))
  const everyone = listContainers(svc.stateRoot)
  const limit = Number(query.get('limit') ?? -1)
  // a limit looks at all, as `ps -n` (moby daemon/list.go)
  const all = queryBool(query, 'all') || limit > 0 || filters.has('status') || filters.has('exited')
  let shown = filterContainers(everyone.filter((c) => all || running(c)), filters, everyone)
  if (limit > 0) shown = shown.slice(0, limit)
  const now = Date.now()
  // size=1 (`docker ps -s`): the writable layer, and with the image's (ps -s's sizes)
  const sized = queryBool(query, 'size')
  sendJson(
    res,
    200,
    shown.map((c) => {
      const summary = containerSummary(inspectJson(c), { text: statusText(c, now), state: dockerStatus(c) })
      if (!sized) return summary
      const size = containerSize(c, svc.storeRoot)
      return { ...summary, SizeRw: size.rw, SizeRootFs: size.rootFs }
    }),
  )
}

export async function inspectRoute({ svc, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  // size=1: `docker inspect -s`
  sendJson(res, 200, inspectJson(c, { logPath: logFile(svc.stateRoot, c.id), ...(queryBool(query, 'size') && { size: containerSize(c, svc.storeRoot) }) }))
}

/** POST /containers/ID/update: `mini-run update` with the body's fields; a body that changes nothing changes nothing, as Docker's daemon. */
export async function updateRoute({ svc, req, res, params }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const flags = updateFlags(await readJson(req))
  if (!flags.length) return sendJson(res, 200, { Warnings: [] })
  const { stdout } = await runCli(svc.global, ['update', ...flags, '--', c.id]).catch((err: unknown) => {
    // what update refuses is the request's fault (moby's InvalidParameter), but for a container gone or in the way
    throw err instanceof ApiError && err.status === 500 ? new ApiError(400, err.message) : err
  })
  // update prints the container, then what it warns of
  sendJson(res, 200, { Warnings: stdout.split('\n').filter((l) => l.trim() !== '' && l !== c.id) })
}

export async function createRoute({ svc, req, res, query }: Call): Promise<void> {
  const body = await readJson(req)
  getLogger().debug({ body }, 'create')
  const name = query.get('name') ?? undefined
  const platform = query.get('platform') ?? undefined
  const args = createArgs(body, { ...(name && { name }), ...(platform && { platform }) })
  const { stdout, stderr } = await runCli(svc.global, args).catch((err: unknown) => {
    // Docker's words: docker-py pulls on "No such image" (its ImageNotFound), as the CLI does on the 404
    if (err instanceof ApiError && err.status === 404 && /^no such image/i.test(err.message)) throw new ApiError(404, `No such image: ${String(body.Image)}`)
    throw err
  })
  const id = stdout.trim().split('\n').at(-1) ?? ''
  // what a create that succeeded says on stderr is a warning (mini-run: ..., WARNING: ...)
  const warnings = stderr.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(/^(mini-run: |WARNING:\s*)/, ''))
  sendJson(res, 201, { Id: id, Warnings: warnings })
}

export async function startRoute(call: Call): Promise<void> {
  const { svc, res, params } = call
  const c = containerOf(svc, params[0]!)
  if (running(c)) return sendEmpty(res, 304)
  const pending = svc.pendingAttach.get(c.id)
  if (pending?.length) await startAttached(svc, c, pending)
  else await runCli(svc.global, ['start', c.id])
  sendEmpty(res, 204)
}

/** stop and restart: ?t= is the wait before SIGKILL; stopping what does not run is 304, as Docker's. */
export function stopRoute(verb: 'stop' | 'restart') {
  return async ({ svc, res, params, query }: Call): Promise<void> => {
    const c = containerOf(svc, params[0]!)
    if (verb === 'stop' && !running(c)) return sendEmpty(res, 304)
    const t = query.get('t') ?? query.get('time')
    await runCli(svc.global, [verb, ...(t !== null && t !== '' ? ['--timeout', t] : []), c.id])
    sendEmpty(res, 204)
  }
}

export async function killRoute({ svc, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  if (!running(c)) throw new ApiError(409, `Cannot kill container: ${params[0]}: Container ${c.id} is not running`)
  await runCli(svc.global, ['kill', '--signal', query.get('signal') || 'KILL', c.id])
  sendEmpty(res, 204)
}

/** pause, unpause: verbs that take the container alone. */
export function plainRoute(verb: string) {
  return async ({ svc, res, params }: Call): Promise<void> => {
    const c = containerOf(svc, params[0]!)
    await runCli(svc.global, [verb, c.id])
    sendEmpty(res, 204)
  }
}

export async function renameRoute({ svc, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const name = query.get('name')
  if (!name) throw new ApiError(400, 'rename: a new name is required (?name=)')
  await runCli(svc.global, ['rename', '--', c.id, name])
  sendEmpty(res, 204)
}

export async function removeRoute({ svc, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const flags = [...(queryBool(query, 'force') ? ['--force'] : []), ...(queryBool(query, 'v') ? ['--volumes'] : [])]
  await runCli(svc.global, ['rm', ...flags, '--', c.id])
  sendEmpty(res, 204)
}

/**
 * wait?condition=not-running|next-exit|removed: the answer's head goes out
 * at once (a client starts the container once it has it, as `docker run`
 * does), its body when the condition is met.
 */
export async function waitRoute({ svc, res, params, query }: Call): Promise<void> {
  const condition = query.get('condition') || 'not-running'
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new ApiError(400, `invalid condition: "${condition}"`)
  const c = containerOf(svc, params[0]!)
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
  res.flushHeaders()
  // `docker run -d` asks, then goes: the poll ends with the connection
  const gone = new AbortController()
  res.once('close', () => gone.abort())
  let code: number
  let error: { Message: string } | null = null
  try {
    if (condition !== 'not-running' && c.status === 'exited' && !c.restarting) {
      // next-exit of one that has exited: the exit after its next start (`docker start -a` asks before it starts it)
      while (!gone.signal.aborted) {
        const now = currentInfo(svc.stateRoot, c.id)
        if (!now || now.startedAt !== c.startedAt || now.status !== 'exited') break
        await sleep(20)
      }
    }
    code = condition === 'not-running' && !running(c) ? (c.exitCode ?? 0) : await waitContainer(svc.stateRoot, c, gone.signal)
    if (condition === 'removed') {
      while (currentInfo(svc.stateRoot, c.id) !== undefined && !gone.signal.aborted) await sleep(20)
    }
  } catch (err) {
    if (gone.signal.aborted) return
    // removed (--rm) before its exit was read here: its die event has the code
    const logged = exitFromEvents(svc.stateRoot, c.id)
    code = logged ?? -1
    error = logged === undefined ? { Message: (err as Error).message } : null
  }
  res.end(JSON.stringify({ StatusCode: code, Error: error }))
}

/** logs: the container's log, stdout and stderr framed apart (raw for a terminal's), to its end or, with follow, its exit. */
export async function logsRoute({ svc, req, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const stdout = queryBool(query, 'stdout')
  const stderr = queryBool(query, 'stderr')
  if (!stdout && !stderr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream')
  logPathOf(svc, c)
  const o = { stdout, stderr, follow: queryBool(query, 'follow'), timestamps: queryBool(query, 'timestamps'), tail: query.get('tail'), since: query.get('since'), until: query.get('until') }
  logBounds(o)
  const raw = c.spec?.process.terminal === true
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': raw ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' })
  res.flushHeaders()
  req.socket.setNoDelay(true)
  await streamLog(svc, c, res, o)
  res.end()
}

export async function topRoute({ svc, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const psArgs = (query.get('ps_args') ?? '').split(/\s+/).filter(Boolean)
  const { stdout } = await runCli(svc.global, ['top', c.id, ...psArgs])
  const [head = '', ...rows] = stdout.split('\n').filter((l) => l.trim() !== '')
  const titles = head.trim().split(/\s+/)
  const processes = rows.map((row) => {
    const cells = row.trim().split(/\s+/)
    return [...cells.slice(0, titles.length - 1), cells.slice(titles.length - 1).join(' ')]
  })
  sendJson(res, 200, { Titles: titles, Processes: processes })
}
