/**
 * What every `compose` verb of the CLI shares: the compose options (-f, -p,
 * --project-directory, --env-file, --profile), loading the project (its
 * warnings on stderr), the library's context (store, state, this CLI as
 * the command the monitor and the health runner run later), and Docker
 * Compose's progress lines on stderr (display.ts).
 */
import type { Command } from 'commander'
import type { ComposeContext } from '../../compose/compose-context.js'
import type { Project } from '../../compose/model.js'
import { stringToBool } from '../../go-bool.js'
import { defaultStateRoot, defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { selfCommand } from '../run-flags.js'
import { buildOutputHidden, printBuildLine, printEvent } from './display.js'

export interface ComposeFlags {
  file: string[]
  projectName?: string
  projectDirectory?: string
  envFile: string[]
  profile: string[]
  /** display.ts's */
  progress?: string
  ansi?: string
  parallel?: string
  compatibility?: boolean
}

/** The `compose` command's own options, from any of its verbs. */
export function composeFlags(cmd: Command): ComposeFlags {
  let c: Command | null = cmd
  while (c && c.name() !== 'compose') c = c.parent
  return (c ?? cmd).opts<ComposeFlags>()
}

/**
 * The project of the compose files. `byName`: a verb that acts only on what
 * exists takes the project its containers' labels tell, as Docker Compose's
 * projectOrName does: with -p and no -f, no file is read at all; with
 * neither, a file is looked for, and when there is none
 * COMPOSE_PROJECT_NAME names the project.
 */
export async function loadFor(cmd: Command, services?: string[], o: { byName?: boolean; onHost?: boolean } = {}): Promise<Project> {
  const { loadProject } = await import('../../compose/load.js')
  const f = composeFlags(cmd)
  // a verb on what exists reads no env_file (docker compose's projectOrName)
  if (!o.byName || f.file.length) return load(loadProject, f, services, { onHost: o.onHost === true, skipEnvFiles: o.byName === true })
  let name = f.projectName
  if (name === undefined) {
    try {
      return load(loadProject, f, services, { skipEnvFiles: true })
    } catch (err) {
      name = process.env.COMPOSE_PROJECT_NAME || undefined
      if ((err as { code?: unknown }).code !== 'ENOCOMPOSEFILE' || name === undefined) throw err
    }
  }
  const [{ projectFromLabels }, { checkProjectName }] = await Promise.all([import('../../compose/project-from-labels.js'), import('../../compose/project-name.js')])
  const from = f.projectName !== undefined ? '-p' : 'COMPOSE_PROJECT_NAME'
  const compatibility = f.compatibility === true || stringToBool(process.env.COMPOSE_COMPATIBILITY ?? '')
  return projectFromLabels(globalOptions(cmd).state ?? defaultStateRoot(), checkProjectName(name, from), { compatibility })
}

function load(loadProject: typeof import('../../compose/load.js').loadProject, f: ComposeFlags, services?: string[], o: { onHost?: boolean; skipEnvFiles?: boolean } = {}): Project {
  const { project, warnings } = loadProject({
    ...(o.onHost ? { onHost: true } : {}),
    ...(o.skipEnvFiles ? { skipEnvFiles: true } : {}),
    ...(f.file.length ? { files: f.file } : {}),
    ...(f.projectName ? { projectName: f.projectName } : {}),
    ...(f.projectDirectory ? { projectDirectory: f.projectDirectory } : {}),
    ...(f.envFile.length ? { envFiles: f.envFile } : {}),
    ...(f.profile.length ? { profiles: f.profile } : {}),
    ...(f.compatibility ? { compatibility: true } : {}),
    ...(services?.length ? { services } : {}),
  })
  for (const message of warnings) printEvent({ kind: 'warning', message })
  return project
}

export async function contextFor(cmd: Command, o: { quiet?: boolean } = {}): Promise<ComposeContext> {
  const global = globalOptions(cmd)
  const { BuildProgress } = await import('../build-progress.js')
  const progress = new BuildProgress('plain', process.stderr)
  return {
    storeRoot: global.root ?? defaultStoreRoot(),
    stateRoot: global.state ?? defaultStateRoot(),
    selfCommand: selfCommand(global),
    onEvent: o.quiet ? (e) => e.kind === 'warning' && printEvent(e) : printEvent,
    // a build's steps and its RUN output go to stderr with the rest of the progress; json and quiet show its steps as events, or nothing
    build: buildOutputHidden()
      ? {
          output: discard,
          onEvent: (image, e) => {
            if (e.type === 'step') printBuildLine(image, `STEP ${e.step}/${e.steps}: ${e.text}`)
            else if (e.type === 'warning') printEvent({ kind: 'warning', message: e.message })
          },
        }
      : { output: { fds: [2, 2] }, onEvent: (_image, e) => progress.event(e) },
  }
}

const discard = { onData: (): void => undefined }

/** Builds said nothing of (up --quiet-build, run -q, build -q, watch --quiet): neither their steps nor their RUN output; their warnings still are. */
export function hideBuildOutput(ctx: ComposeContext): void {
  ctx.build = { output: discard, onEvent: (_image, e) => e.type === 'warning' && printEvent({ kind: 'warning', message: e.message }) }
}
