/** `spec [--bundle DIR] [--rootless]`: write runc's default config.json (oci/default-config.ts); an existing one is kept. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { MiniRunError } from '../../../errors.js'
import { defaultConfig } from '../../../oci/default-config.js'

export function register(program: Command): void {
  program
    .command('spec')
    .description('write a default config.json in the bundle (the current directory)')
    .option('-b, --bundle <dir>', 'the bundle directory', '.')
    .option('--rootless', 'for a container run without root: a user namespace, no cgroup')
    .action((o: { bundle: string; rootless?: boolean }) => {
      const file = join(o.bundle, 'config.json')
      try {
        writeFileSync(file, JSON.stringify(defaultConfig({ rootless: o.rootless === true }), null, '\t') + '\n', { flag: 'wx', mode: 0o666 })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new MiniRunError(`File ${file} exists. Remove it first`, { code: 'EEXIST' })
        throw new MiniRunError(`write ${file}: ${(err as Error).message}`, { cause: err })
      }
    })
}
