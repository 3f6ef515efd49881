/**
 * mini-run as a library: everything the CLI does, callable from Node.
 */
export { MiniRunError, UsageError } from './errors.js'
export type { Spec } from './runtime/spec/spec.js'
export { buildSpec, type ContainerOptions, type ImageRunConfig } from './runtime/spec/container-spec.js'
export { planStart, type PlanInput, type RootfsSource } from './runtime/plan/plan-start.js'
export type { ChildStep, StartPlan, ParentAction } from './runtime/plan/steps.js'
export { encodeProgram } from './runtime/plan/encode-program.js'
export { formatPlan } from './runtime/plan/explain.js'
export { prepareContainer, type RunOptions, type PreparedContainer } from './runtime/container/run-container.js'
export { runPrepared } from './runtime/container/start-container.js'
export { exitCodeOf, ExecError } from './runtime/process/supervise.js'
export { StepError } from './runtime/process/launch.js'
export {
  createVolume,
  inspectVolume,
  listVolumes,
  pruneVolumes,
  removeVolume,
  type VolumeInfo,
} from './runtime/container/volume-store.js'
