/**
 * One verb's bundle (dist/mini-run-verb-VERB.cjs, built by scripts/bundle.mjs
 * from this file and the verb's commands module, verb-modules.ts): commander
 * and that verb, and nothing of the other verbs. The whole CLI's bundle holds
 * them all, and every start of it compiled, or deserialized from its code
 * cache, and ran the top level of every module of every verb: 30-35 ms above
 * Node's own start for `mini-run version`, a verb that does nothing. The
 * launcher runs this bundle for a line whose verb it finds (launcher.cts);
 * a line that is runc's goes to the whole CLI (oci/detect.ts), as the
 * listing bundle's do (list-main.ts). The line runs as the whole CLI would
 * run it (cli-program.ts), with this verb registered the same way.
 */
import type { Command } from 'commander'
import { cliMain, lineVerbOf } from './cli-program.js'

export { shownHelpOnly } from './cli-program.js'
import { settleMain } from './main-exit.js'
import { ociArgs } from './oci/detect.js'

/**
 * Runs the line and sets the exit code; false, having done nothing, when the
 * line is runc's, or commander's parse would find another verb in it than
 * the launcher's (run-line-parse.ts lineVerb; test/run-line-parse.test.ts
 * holds the two equal over generated lines).
 */
export function verbMain(argv: string[], verb: string, register: (program: Command) => void): boolean {
  if (ociArgs(argv) || lineVerbOf(argv) !== verb) return false
  settleMain(cliMain(argv, (program) => register(program)))
  return true
}
