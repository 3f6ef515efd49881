/** `features`: the runtime spec's features document (oci/features.ts). */
import type { Command } from 'commander'
import { features } from '../../../oci/features.js'

export function register(program: Command): void {
  program
    .command('features')
    .description('print what this runtime implements, as the runtime spec\'s features JSON')
    .action(() => {
      process.stdout.write(JSON.stringify(features(), null, 4) + '\n')
    })
}
