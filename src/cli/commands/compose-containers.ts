/**
 * More of `mini-run compose`'s verbs (compose.ts has the first ones): those
 * that make, wait for, list or copy into the services' containers, and
 * version. Each verb's work is in cli/compose/.
 */
import type { Command } from 'commander'
import type { ComposeCpFlags } from '../compose/cp.js'
import { bothGiven } from './dual-flags.js'

export function registerContainerVerbs(compose: Command): void {
  const create = compose
    .command('create')
    .description('create the services\' containers, networks and volumes without starting them (start starts them)')
    .argument('[service...]')
    .option('--build', 'build images before creating')
    .option('--no-build', 'do not build a missing image')
    .option('--force-recreate', 'recreate containers even if nothing changed')
    .option('--no-recreate', 'keep existing containers even if their configuration changed')
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .option('--pull <policy>', 'every service\'s pull_policy, in place of its file\'s: always, missing (or if_not_present), never or build')
    .option('--scale <service=n>', 'make n containers of the service, whatever its file says (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--quiet-pull', 'pull without progress (mini-run prints none: only the Pulling/Pulled lines)')
    .option('-y, --yes', 'assume yes to prompts (mini-run asks none)')
    .action(async (services: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { createCommand } = await import('../compose/create.js')
      // commander's names for the --no-* flags
      await createCommand(services, { ...flags, noBuild: flags.build === false || bothBuild(), build: flags.build === true || bothBuild(), noRecreate: flags.recreate === false }, cmd)
    })
  const bothBuild = bothGiven(create, 'build')

  compose
    .command('images')
    .description('the images of the services\' containers')
    .argument('[service...]')
    .option('-q, --quiet', 'only the image ids')
    .option('--format <format>', 'table (default) or json')
    .action(async (services: string[], flags: { quiet?: boolean; format?: string }, cmd: Command) => {
      const { imagesCommand } = await import('../compose/images.js')
      await imagesCommand(services, flags, cmd)
    })

  compose
    .command('volumes')
    .description('the project\'s volumes (with SERVICEs: those their containers mount)')
    .argument('[service...]')
    .option('-q, --quiet', 'only the volume names')
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.Name}} {{.Driver}}...')
    .action(async (services: string[], flags: { quiet?: boolean; format?: string }, cmd: Command) => {
      const { volumesCommand } = await import('../compose/volumes.js')
      await volumesCommand(services, flags, cmd)
    })

  compose
    .command('wait')
    .description('block until the services\' running containers stop; exit with the last one\'s code')
    .argument('<service...>')
    .option('--down-project', 'then take the project down (orphans too)')
    .action(async (services: string[], flags: { downProject?: boolean }, cmd: Command) => {
      const { waitCommand } = await import('../compose/wait.js')
      await waitCommand(services, flags, cmd)
    })

  compose
    .command('version')
    .description('the Docker Compose version mini-run\'s compose follows')
    .option('--short', 'only the version number')
    .option('-f, --format <format>', 'pretty (default) or json')
    .action(async (flags: { short?: boolean; format?: string }) => {
      const { versionCommand } = await import('../compose/version.js')
      await versionCommand(flags)
    })

  compose
    .command('scale')
    .description('make the services\' number of containers N (added, or the highest-numbered removed); the others are left alone')
    .usage('[options] SERVICE=REPLICAS...')
    .argument('<service=replicas...>')
    .option('--no-deps', 'do not start the services\' dependencies')
    .action(async (args: string[], flags: { deps?: boolean }, cmd: Command) => {
      const { scaleCommand } = await import('../compose/scale.js')
      await scaleCommand(args, flags, cmd)
    })

  compose
    .command('cp')
    .description('copy files between a service\'s container and the host; "-" is a tar stream on stdin or stdout')
    .usage('[options] SERVICE:SRC_PATH DEST_PATH|-\n       mini-run compose cp [options] SRC_PATH|- SERVICE:DEST_PATH')
    .argument('<src>')
    .argument('<dest>')
    .option('--index <n>', 'which container of the service, 1 first (default: the first out of it, every one into it)')
    .option('--all', 'into the service\'s one-off containers too')
    .option('-a, --archive', 'archive mode: keep uid and gid')
    .option('-L, --follow-link', 'follow a symlink given as SRC_PATH')
    .action(async (src: string, dest: string, flags: ComposeCpFlags, cmd: Command) => {
      const { cpCommand } = await import('../compose/cp.js')
      await cpCommand(src, dest, flags, cmd)
    })
}
