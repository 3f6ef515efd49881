/**
 * The build's third-party parsers, in one module: dockerfile-ast (the
 * Dockerfile parser behind the Dockerfile language server) and
 * @balena/dockerignore (Docker's .dockerignore rules).
 *
 * They are 150 kB of the CLI's bundle that only `build` and `lint` use, so
 * scripts/bundle.mjs puts this module in a file of its own,
 * dist/mini-run-build-vendor.cjs, which the bundle requires when a build
 * first needs it: every other verb starts without reading it.
 */
import * as dockerignore from '@balena/dockerignore'
import type { Ignore } from '@balena/dockerignore'

export { DockerfileParser } from 'dockerfile-ast'
export type { Flag, Heredoc, Instruction as AstInstruction } from 'dockerfile-ast'
export type { Ignore }

type IgnoreFactory = () => Ignore
// a CommonJS module: Node's ESM loader and esbuild give its function as the
// namespace's default; TypeScript's nodenext view adds one more `default`
const namespace = dockerignore as unknown as { default: IgnoreFactory | { default: IgnoreFactory } }

/** A .dockerignore matcher (the `ignore` API: add patterns, then ignores(path)). */
export const dockerignoreMatcher: IgnoreFactory = typeof namespace.default === 'function' ? namespace.default : namespace.default.default
