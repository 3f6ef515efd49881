/**
 * mini-run as a library: everything the CLI does, callable from Node.
 */
export { MiniRunError, UsageError } from './errors.js'
export type { Spec } from './runtime/spec/spec.js'
export { buildSpec, type ContainerOptions, type ImageRunConfig } from './runtime/spec/container-spec.js'
export { planStart, type PlanInput, type RootfsSource } from './runtime/plan/plan-start.js'
export type { ChildStep, HostStep, StartPlan } from './runtime/plan/steps.js'
export { encodeProgram } from './runtime/plan/encode-program.js'
export { formatPlan, planJson } from './runtime/plan/explain.js'
export { prepareContainer } from './runtime/container/prepare.js'
export type { RunOptions, PreparedContainer } from './runtime/container/run-options.js'
export { runPrepared } from './runtime/container/run-foreground.js'
export { startDetached } from './runtime/container/start-detached.js'
export { exitCodeOf, ExecError } from './runtime/process/exit-status.js'
export { StepError } from './runtime/process/step-error.js'
export type { Host } from './runtime/process/host.js'
export {
  createVolume,
  inspectVolume,
  listVolumes,
  pruneVolumes,
  removeVolume,
  type VolumeInfo,
} from './runtime/container/volume-store.js'
export { build } from './build/builder.js'
export type { BuildOptions, BuildEvent, BuildResult } from './build/build-options.js'
export type { BuildOutput } from './build/export-output.js'
export { parseDockerfile, type ParsedDockerfile } from './build/dockerfile.js'
export { lintDockerfile, type LintWarning } from './build/lint.js'
export { runOptionsFromFlags, type ContainerFlags, type FlagContext } from './runtime/container/container-flags.js'
export type { HealthConfig } from './runtime/health/health-config.js'
export type { HealthState } from './runtime/health/health-state.js'
export { loadProject, type LoadOptions } from './compose/load.js'
export type { Project, Service } from './compose/model.js'
export type { ComposeContext, ComposeEvent } from './compose/compose-context.js'
export { up, type UpOptions } from './compose/up.js'
export { down, type DownOptions } from './compose/down.js'
export { start, stop, restart } from './compose/lifecycle.js'
