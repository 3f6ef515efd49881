/**
 * The build's third-party parser, in a module of its own: dockerfile-ast
 * (the Dockerfile parser behind the Dockerfile language server).
 *
 * It is 150 kB of the CLI's bundle that only `build` and `lint` use, so
 * scripts/bundle.mjs puts this module in a file of its own,
 * dist/mini-run-build-vendor.cjs, which the bundle requires when a build
 * first needs it: every other verb starts without reading it.
 */
export { DockerfileParser } from 'dockerfile-ast'
export type { Flag, Heredoc, Instruction as AstInstruction } from 'dockerfile-ast'
