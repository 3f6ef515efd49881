/** `checkpoint`, `restore`: CRIU's, which mini-run does not do; refused with one line. */
import type { Command } from 'commander'
import { MiniRunError } from '../../../errors.js'

export function register(program: Command): void {
  for (const verb of ['checkpoint', 'restore']) {
    program
      .command(verb)
      .description('not supported (needs CRIU)')
      .allowUnknownOption()
      .argument('[args...]')
      .action(() => {
        throw new MiniRunError(`${verb} is not supported by mini-run`, { code: 'EUSAGE' })
      })
  }
}
