/**
 * mini-run as a library: everything the CLI does, callable from Node.
 */
export { MiniRunError, UsageError } from './errors.js'
export type { Spec } from './runtime/spec.js'
export { buildSpec, type ContainerOptions, type ImageRunConfig } from './runtime/container-spec.js'
export { planStart, type PlanInput, type RootfsSource } from './runtime/plan-start.js'
export type { ChildStep, StartPlan, ParentAction } from './runtime/steps.js'
export { encodeProgram } from './runtime/encode-program.js'
export { formatPlan } from './runtime/explain.js'
export { prepareContainer, type RunOptions, type PreparedContainer } from './runtime/run-container.js'
export { runPrepared } from './runtime/start-container.js'
export { exitCodeOf, ExecError } from './runtime/supervise.js'
export { StepError } from './runtime/launch.js'
export { build } from './build/builder.js'
export type { BuildOptions, BuildEvent, BuildResult } from './build/build-options.js'
export { parseDockerfile, type ParsedDockerfile } from './build/dockerfile.js'
export { lintDockerfile, type LintWarning } from './build/lint.js'
