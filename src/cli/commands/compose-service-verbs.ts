/**
 * compose's verbs on one service's running container (attach, commit,
 * export) and on the project's containers or images (stats, push), as
 * Docker Compose spells them. Each verb's work is in
 * cli/compose/service-verbs.ts.
 */
import type { Command } from 'commander'
import type { AttachFlags } from './attach.js'
import type { CommitFlags } from './commit.js'
import type { StatsFlags } from './stats.js'

const INDEX = 'which container of the service, 1 first (default: the first running one)'

export function registerServiceVerbs(compose: Command): void {
  compose
    .command('attach')
    .description('attach to a service\'s running container: its output, and its input when it has one')
    .argument('<service>')
    .option('--index <n>', INDEX)
    .option('--no-stdin', 'do not attach stdin')
    .option('--detach-keys <keys>', 'the key sequence that detaches (default ctrl-p,ctrl-q)')
    // both spellings, for Docker's --sig-proxy=false (bool-flag-values.ts)
    .option('--sig-proxy', 'pass the signals attach receives on to the container, unless it has a pty (the default)')
    .option('--no-sig-proxy', 'do not pass signals on to the container')
    .action(async (service: string, flags: AttachFlags & { index?: string }, cmd: Command) => {
      const { attachCommand } = await import('../compose/service-verbs.js')
      await attachCommand(service, flags, cmd)
    })

  compose
    .command('commit')
    .description('make an image of a service\'s running container: its image plus its writable layer')
    .argument('<service>')
    .argument('[repository[:tag]]')
    .option('--index <n>', INDEX)
    .option('-m, --message <text>', 'the commit message')
    .option('-a, --author <name>', 'the image\'s author')
    .option('-c, --change <instruction>', 'a Dockerfile instruction for the config (repeatable)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('-p, --pause', 'pause the container during the commit (the default)')
    .option('--no-pause', 'do not pause it (refused for a running container, as commit refuses it)')
    .action(async (service: string, target: string | undefined, flags: CommitFlags & { index?: string }, cmd: Command) => {
      const { commitCommand } = await import('../compose/service-verbs.js')
      await commitCommand(service, target, flags, cmd)
    })

  compose
    .command('export')
    .description('write a service\'s running container\'s filesystem as a tar archive')
    .argument('<service>')
    .option('--index <n>', INDEX)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (service: string, flags: { output?: string; index?: string }, cmd: Command) => {
      const { exportCommand } = await import('../compose/service-verbs.js')
      await exportCommand(service, flags, cmd)
    })

  compose
    .command('stats')
    .description('live resource use of the project\'s containers (running ones, or all with -a)')
    .argument('[service]')
    .option('-a, --all', 'stopped containers too')
    .option('--no-stream', 'print one result and exit')
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.Name}} {{.CPUPerc}} {{.MemUsage}}...')
    .option('--no-trunc', 'do not truncate ids')
    .action(async (service: string | undefined, flags: StatsFlags, cmd: Command) => {
      const { statsCommand } = await import('../compose/service-verbs.js')
      await statsCommand(service, flags, cmd)
    })

  compose
    .command('push')
    .description('push the images the services build and name (image: and build.tags) to their registries')
    .argument('[service...]')
    .option('--ignore-push-failures', 'push what can be pushed; a failure is a warning')
    .option('--include-deps', 'the named services\' dependencies too')
    .option('-q, --quiet', 'no progress')
    .action(async (services: string[], flags: { ignorePushFailures?: boolean; includeDeps?: boolean; quiet?: boolean }, cmd: Command) => {
      const { pushCommand } = await import('../compose/service-verbs.js')
      await pushCommand(services, flags, cmd)
    })
}
