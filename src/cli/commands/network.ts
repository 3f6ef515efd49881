import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { defaultStoreRoot } from '../../paths.js'
import { stateRootOf } from '../state-root.js'

export function register(program: Command): void {
  const network = program.command('network').description('manage networks')
  const roots = (cmd: Command) => ({ store: globalOptions(cmd).root ?? defaultStoreRoot(), state: stateRootOf(cmd) })

  network
    .command('create')
    .description('create a bridge network: its containers reach each other by name and alias')
    .argument('<name>')
    .option('--subnet <cidr>', 'its subnet (default: the first free /24 of 10.92.0.0/16)')
    .option('--gateway <ip>', 'the bridge\'s address (default: the subnet\'s first)')
    .option('-d, --driver <driver>', 'bridge (the only one)', 'bridge')
    .option('--label <KEY=VALUE>', 'a label on the network (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .action(async (name: string, flags: { subnet?: string; gateway?: string; driver: string; label: string[] }, cmd: Command) => {
      if (flags.driver !== 'bridge') {
        const { UsageError } = await import('../../errors.js')
        throw new UsageError(`network driver "${flags.driver}" is not supported: only bridge`)
      }
      const { createUserNetwork } = await import('../../network/manage.js')
      const { readLabels } = await import('../../runtime/container/container-flags.js')
      const labels = readLabels(flags.label)
      const def = createUserNetwork(roots(cmd).store, { name, ...(flags.subnet ? { subnet: flags.subnet } : {}), ...(flags.gateway ? { gateway: flags.gateway } : {}), ...(labels ? { labels } : {}) })
      process.stdout.write(`${def.id}\n`)
    })

  network
    .command('ls')
    .alias('list')
    .description('list networks')
    .option('-q, --quiet', 'only display network ids')
    .action(async (flags: { quiet?: boolean }, cmd: Command) => {
      const { listNetworks } = await import('../../network/manage.js')
      const all = listNetworks(roots(cmd).store)
      const rows = [
        ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET'],
        ...all.map((n) => [n.id.slice(0, 12), n.name, n.driver, n.subnet]),
        // Docker lists the two modes that are not networks as well
        ['host', 'host', 'host', ''],
        ['none', 'none', 'null', ''],
      ]
      if (flags.quiet) {
        for (const r of rows.slice(1, all.length + 1)) process.stdout.write(`${r[0]}\n`)
        return
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
      for (const r of rows) process.stdout.write(r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]! + 3) : c)).join('').trimEnd() + '\n')
    })

  network
    .command('inspect')
    .description('print networks as JSON, with the running containers on them')
    .argument('<network...>')
    .option('-f, --format <template>', 'format the output with a Go template: {{.Name}}, {{json .IPAM}}...')
    .action(async (names: string[], flags: { format?: string }, cmd: Command) => {
      const [{ inspectNetwork }, { inspectEach }] = await Promise.all([import('../../network/network-inspect.js'), import('../inspect-each.js')])
      const { store, state } = roots(cmd)
      await inspectEach(names, (n) => inspectNetwork(store, state, n), flags.format)
    })

  network
    .command('rm')
    .alias('remove')
    .description('remove networks no container uses')
    .argument('<network...>')
    .action(async (names: string[], _flags: unknown, cmd: Command) => {
      const { removeUserNetwork } = await import('../../network/manage.js')
      const { store, state } = roots(cmd)
      for (const n of names) {
        removeUserNetwork(store, state, n)
        process.stdout.write(`${n}\n`)
      }
    })

  network
    .command('prune')
    .description('remove every user-defined network no container uses')
    .option('-f, --force', 'do not prompt (accepted for Docker compatibility)')
    .action(async (_flags: unknown, cmd: Command) => {
      const { pruneNetworks } = await import('../../network/manage.js')
      const { store, state } = roots(cmd)
      const removed = pruneNetworks(store, state)
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`)
    })

  network
    .command('connect')
    .description('connect a container to a network (eth1, eth2...; a running one at once, names included; a stopped one at its next start)')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <alias>', 'another name on that network (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--ip <address>', 'its address there')
    .action(async (net: string, ref: string, flags: { alias: string[]; ip?: string }, cmd: Command) => {
      const { connectContainer } = await import('../../network/connect.js')
      const { store, state } = roots(cmd)
      connectContainer(store, state, ref, net, { aliases: flags.alias, ...(flags.ip ? { ip: flags.ip } : {}) })
    })

  network
    .command('disconnect')
    .description('disconnect a container from a network (a stopped one: at its next start)')
    .argument('<network>')
    .argument('<container>')
    .action(async (net: string, ref: string, _flags: unknown, cmd: Command) => {
      const { disconnectContainer } = await import('../../network/connect.js')
      const { store, state } = roots(cmd)
      disconnectContainer(store, state, ref, net)
    })
}
