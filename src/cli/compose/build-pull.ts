/**
 * `compose build` and `compose pull`: the services' images built, or pulled,
 * with docker compose's flags for each.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { composeFlags, contextFor, hideBuildOutput, loadFor } from './context.js'
import { printEvent, setDisplay } from './display.js'

export interface ComposeBuildFlags {
  noCache?: boolean
  pull?: boolean
  /** --build-arg KEY=VALUE, or KEY for the project's environment's value (repeatable). */
  buildArg?: string[]
  quiet?: boolean
  progress?: string
  push?: boolean
  withDependencies?: boolean
}

export async function buildCommand(services: string[], flags: ComposeBuildFlags, cmd: Command): Promise<void> {
  // build's own --progress is compose's, given after the verb (docker compose keeps it so)
  if (flags.progress !== undefined) setDisplay({ ...composeFlags(cmd), progress: flags.progress })
  const quiet = flags.quiet === true
  const project = await loadFor(cmd, services)
  const ctx = await contextFor(cmd, { quiet })
  // -q: nothing of the builds said, as docker compose build -q
  if (quiet) hideBuildOutput(ctx)
  const [{ buildService }, { selectedServices }, { withDependencies }, { At }, { buildOrder, contextServices }] = await Promise.all([
    import('../../compose/images.js'),
    import('../../compose/up.js'),
    import('../../compose/dependency-order.js'),
    import('../../compose/compose-error.js'),
    import('../../compose/build-config.js'),
  ])
  const named = selectedServices(project, services)
  const chosen = flags.withDependencies ? withDependencies(project.services, named) : new Set(named)
  // and the services whose images their builds read (additional_contexts' service:NAME), as addBuildDependencies adds them
  for (const name of chosen) for (const c of contextServices(project.services[name]?.build)) if (project.services[c]) chosen.add(c)
  // in dependency order, as Docker Compose's classic builder goes (InDependencyOrder): a service's image may be another's FROM
  const built = buildOrder(project.services, project.mainFile).filter((n) => chosen.has(n) && project.services[n]!.build)
  // --build-arg over the file's args, a bare KEY from the project's environment, as docker compose's
  // resolveAndMergeBuildArgs; a bare KEY it has not takes the file's value away too: the Dockerfile's default applies
  const args = new Map<string, string | undefined>(
    (flags.buildArg ?? []).map((a) => {
      const eq = a.indexOf('=')
      return eq >= 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, project.environment[a]]
    }),
  )
  const withArgs = (fileArgs: Record<string, string>) => {
    const out = { ...fileArgs }
    for (const [k, v] of args) {
      if (v === undefined) delete out[k]
      else out[k] = v
    }
    return out
  }
  for (const name of built) {
    const s = project.services[name]!
    const b = s.build!
    const service = { ...s, build: { ...b, args: withArgs(b.args), noCache: b.noCache || flags.noCache === true, pull: b.pull || flags.pull === true } }
    await buildService(ctx, service, new At(project.serviceFiles[name] ?? project.mainFile, ['services', name]), { project })
  }
  // --push: what was built and named, pushed as compose push pushes it
  if (flags.push && built.length) {
    const { pushServices } = await import('../../compose/push.js')
    await pushServices(ctx, project, { services: built, ignoreFailures: false })
  }
}

export interface ComposePullFlags {
  ignorePullFailures?: boolean
  quiet?: boolean
  /** The services' dependencies too. */
  includeDeps?: boolean
  /** No service that is built. */
  ignoreBuildable?: boolean
  /** missing or always, over each service's pull_policy. */
  policy?: string
}

export async function pullCommand(services: string[], flags: ComposePullFlags, cmd: Command): Promise<void> {
  // the pull_policy values docker compose sets every service's to; if_not_present is missing's other name
  if (flags.policy !== undefined && !['missing', 'if_not_present', 'always', 'never', 'build'].includes(flags.policy)) throw new UsageError(`invalid --policy "${flags.policy}": missing, always, never or build`)
  const policyFlag = flags.policy === 'if_not_present' ? 'missing' : flags.policy
  const project = await loadFor(cmd, services)
  const ctx = await contextFor(cmd, { quiet: flags.quiet === true })
  const [{ pullService, pullFailed }, { selectedServices }, { withDependencies }, { At }, { ImageStore }, { emit }, { parseReference }] = await Promise.all([
    import('../../compose/images.js'),
    import('../../compose/up.js'),
    import('../../compose/dependency-order.js'),
    import('../../compose/compose-error.js'),
    import('../../image/store.js'),
    import('../../compose/compose-context.js'),
    import('../../image/reference.js'),
  ])
  const named = selectedServices(project, services)
  const chosen = flags.includeDeps ? withDependencies(project.services, named) : new Set(named)
  const store = new ImageStore({ root: ctx.storeRoot })
  const done = new Set<string>()
  const mustBuild: string[] = []
  for (const name of Object.keys(project.services).filter((n) => chosen.has(n)).sort()) {
    const s = project.services[name]!
    const policy = policyFlag ?? s.pullPolicy
    // a build without an image: of its own has nothing to pull; never and build pull nothing (docker compose's
    // shouldPullImage); a service that is built, unless its policy is always (and not with --ignore-buildable)
    if (s.build && !s.build.namedImage) continue
    if (policy === 'never' || policy === 'build') continue
    if ((s.build && (policy !== 'always' || flags.ignoreBuildable)) || done.has(s.image)) continue
    done.add(s.image)
    // --policy missing, or the file's own pull_policy: missing: an image the store has is not pulled again, unless
    // its tag is latest (docker compose's shouldPullImage; a service without pull_policy is always pulled)
    const ref = parseReference(s.image)
    const latest = ref.digest === undefined && (ref.tag ?? 'latest') === 'latest'
    if (policy === 'missing' && (policyFlag !== undefined || s.pullPolicyText !== undefined) && !latest && (await store.resolve(s.image).then(() => true, () => false))) {
      emit(ctx, 'Image', s.image, 'Skipped')
      continue
    }
    try {
      await pullService(ctx, s, new At(project.serviceFiles[name] ?? project.mainFile, ['services', name]))
    } catch (err) {
      // one that can be built is built instead: no failure (docker compose's mustBuild)
      if (s.build) mustBuild.push(name)
      else if (!flags.ignorePullFailures) throw err
      pullFailed(ctx, s.image, err as Error, s.build ? 'Warning' : 'Error')
    }
  }
  if (mustBuild.length) printEvent({ kind: 'warning', message: `Some service image(s) must be built from source by running:\n    mini-run compose build ${mustBuild.join(' ')}` })
}
