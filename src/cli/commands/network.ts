import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { defaultStoreRoot } from '../../paths.js'
import { stateRootOf } from '../state-root.js'

const roots = (cmd: Command) => ({ store: globalOptions(cmd).root ?? defaultStoreRoot(), state: stateRootOf(cmd) })

/** Docker's network connect/disconnect event: the network's, naming the container. */
async function connectionEvent(cmd: Command, action: string, net: string, ref: string): Promise<void> {
  const [{ findNetwork }, { findContainer }, { networkEvent }] = await Promise.all([
    import('../../network/networks.js'),
    import('../../runtime/container/containers.js'),
    import('../../events/resource-events.js'),
  ])
  const { store, state } = roots(cmd)
  try {
    networkEvent(state, action, findNetwork(store, net), findContainer(state, ref).id)
  } catch {
    // removed meanwhile: the event is lost, not the connection
  }
}

interface CreateFlags {
  subnet: string[]
  gateway: string[]
  ipRange: string[]
  auxAddress: string[]
  ipamDriver: string
  internal?: boolean
  attachable?: boolean
  ipv6?: boolean
  opt: string[]
  driver: string
  label: string[]
}

export function register(program: Command): void {
  const network = program.command('network').description('manage networks')
  network
    .command('create')
    .description('create a bridge network: its containers reach each other by name and alias')
    .argument('<name>')
    // repeatable for Docker's several subnets, which are refused: taking the last would make another network than the one asked for
    .option('--subnet <cidr>', 'its subnet (default: the first free /24 of 10.92.0.0/16); with --ipv6, an IPv6 one too', (v: string, prev: string[]) => [...prev, v], [])
    .option('--gateway <ip>', 'the bridge\'s address (default: the subnet\'s first); one of each family', (v: string, prev: string[]) => [...prev, v], [])
    .option('--ip-range <cidr>', 'give containers addresses from this part of the subnet only', (v: string, prev: string[]) => [...prev, v], [])
    .option('--aux-address <name=ip>', 'reserve an address of the subnet for a device of yours: no container gets it (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--ipam-driver <driver>', 'default (the only one)', 'default')
    .option('--internal', 'no way out: no route, no NAT, no published ports; its containers reach each other only')
    .option('--attachable', 'accepted, as Docker does for a local bridge (any container may join it)')
    .option('--ipv6', 'an IPv6 subnet too (an IPv6 --subnet, else a random unique local /64): containers get an address on each')
    .option('-o, --opt <KEY=VALUE>', 'a bridge option: com.docker.network.bridge.name, com.docker.network.driver.mtu (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('-d, --driver <driver>', 'bridge (the only one)', 'bridge')
    .option('--label <KEY=VALUE>', 'a label on the network (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      if (flags.driver !== 'bridge') {
        const { UsageError } = await import('../../errors.js')
        throw new UsageError(`network driver "${flags.driver}" is not supported: only bridge`)
      }
      // (empty: the default, as moby's NetworkOptionIpam takes it)
      if (flags.ipamDriver !== 'default' && flags.ipamDriver !== '') {
        // the daemon's words for a plugin it cannot find
        const { MiniRunError } = await import('../../errors.js')
        throw new MiniRunError(`could not find plugin ${flags.ipamDriver} in v1 plugin registry: plugin not found`, { code: 'ENOPLUGIN' })
      }
      const [{ createUserNetwork }, { readLabels }, { parseDriverOptions, parseAuxAddresses, onlyOne, byFamily }] = await Promise.all([
        import('../../network/manage.js'),
        import('../../runtime/container/container-flags.js'),
        import('../../network/create-options.js'),
      ])
      const labels = readLabels(flags.label)
      // one of each family: an IPv6 --subnet or --gateway is the --ipv6 subnet's
      const { v4: subnet, v6: subnet6 } = byFamily('--subnet', flags.subnet)
      const { v4: gateway, v6: gateway6 } = byFamily('--gateway', flags.gateway)
      const ipRange = onlyOne('--ip-range', flags.ipRange)
      if (ipRange?.includes(':')) throw new (await import('../../errors.js')).UsageError(`--ip-range ${ipRange}: an IPv6 range is not supported (containers take the IPv6 subnet's lowest free addresses)`)
      const def = createUserNetwork(roots(cmd).store, {
        name,
        ...(subnet ? { subnet } : {}),
        ...(gateway ? { gateway } : {}),
        ...(subnet6 ? { subnet6 } : {}),
        ...(gateway6 ? { gateway6 } : {}),
        ...(ipRange ? { ipRange } : {}),
        ...(flags.auxAddress.length ? { auxAddresses: parseAuxAddresses(flags.auxAddress) } : {}),
        ...(labels ? { labels } : {}),
        ...(flags.internal ? { internal: true } : {}),
        ...(flags.attachable ? { attachable: true } : {}),
        ...(flags.ipv6 ? { ipv6: true } : {}),
        options: parseDriverOptions(flags.opt),
      })
      process.stdout.write(`${def.id}\n`)
      const { networkEvent } = await import('../../events/resource-events.js')
      networkEvent(roots(cmd).state, 'create', def)
    })

  network
    .command('ls')
    .alias('list')
    .description('list networks (host and none too, as Docker lists them)')
    .option('-q, --quiet', 'only display network ids')
    .option('-f, --filter <key=value>', 'filter: name=REGEXP, id=, driver=, scope=local, type=custom|builtin, label=KEY[=VALUE] (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.ID}} {{.Name}} {{.Driver}} {{.Scope}} {{.IPv6}} {{.Internal}} {{.Labels}} {{.CreatedAt}}')
    .option('--no-trunc', 'do not truncate the ids')
    .action(async (flags: { quiet?: boolean; filter: string[]; format?: string; trunc: boolean }, cmd: Command) => {
      const [{ filterNetworks, listNetworkEntries, parseNetworkFilters }, { networkRow, NETWORK_HEADERS, NETWORKS_QUIET, NETWORKS_TABLE }, { formatList }, { writeStdout }] = await Promise.all([
        import('../../network/network-list.js'),
        import('../format/network-row.js'),
        import('../format/format-list.js'),
        import('../write-stdout.js'),
      ])
      const networks = filterNetworks(listNetworkEntries(roots(cmd).store), parseNetworkFilters(flags.filter))
      // -q is the ids, unless a format of its own is given (docker/cli NewNetworkFormat)
      const quiet = flags.quiet === true && (flags.format === undefined || flags.format === '' || flags.format === 'table')
      const rows = networks.map((n) => networkRow(n, { noTrunc: !flags.trunc }))
      writeStdout(formatList(quiet ? NETWORKS_QUIET : flags.format, rows, { defaultTable: NETWORKS_TABLE, headers: NETWORK_HEADERS }))
    })

  network
    .command('inspect')
    .description('print networks as JSON, with the running containers on them')
    .argument('<network...>')
    .option('-f, --format <template>', 'format the output with a Go template: {{.Name}}, {{json .IPAM}}...')
    // the daemon's verbose adds a swarm network's Services; a local bridge has none, and Docker's omitempty drops the empty map
    .option('-v, --verbose', 'verbose output for diagnostics: the same for a local bridge network, as in Docker')
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
    .option('-f, --force', 'do not error if the network does not exist')
    .action(async (names: string[], flags: { force?: boolean }, cmd: Command) => {
      const { removeUserNetwork } = await import('../../network/manage.js')
      const { networkEvent } = await import('../../events/resource-events.js')
      const { eachContainer } = await import('../each-ref.js')
      const { store, state } = roots(cmd)
      // one that cannot go is said and the others still go, exit 1 (docker/cli network rm); with -f one not there is passed over without a word
      await eachContainer(names, async (n) => {
        let def
        try {
          def = removeUserNetwork(store, state, n)
        } catch (err) {
          if (flags.force && (err as { code?: string }).code === 'ENONETWORK') return
          throw err
        }
        process.stdout.write(`${n}\n`)
        networkEvent(state, 'destroy', def)
      })
    })

  network
    .command('prune')
    .description('remove every user-defined network no container uses')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <key=value>', 'only networks with: until=TIME (created before; a time or a duration before now), label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(async (flags: { filter: string[]; force?: boolean }, cmd: Command) => {
      const [{ pruneNetworks }, { networkPruneSelection }, { confirm }] = await Promise.all([import('../../network/manage.js'), import('../network-prune-filter.js'), import('../confirm.js')])
      const { store, state } = roots(cmd)
      // a wrong filter is refused before the question, as Docker's CLI parses its flags first
      const only = networkPruneSelection((await import('../prune-filter-flags.js')).withConfigPruneFilters(flags.filter))
      // docker/cli's network prune question
      if (!flags.force && !(await confirm('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return
      const removed = pruneNetworks(store, state, only ? { only } : {})
      if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`)
    })

  network
    .command('reload')
    .description('set up the networks of running containers again, after the host\'s firewall lost their rules (iptables -F, firewall-cmd --reload): podman\'s')
    .argument('[container...]')
    .option('-a, --all', 'every running container')
    .option('-l, --latest', 'the latest created container')
    .action(async (refs: string[], flags: { all?: boolean; latest?: boolean }, cmd: Command) => {
      const [{ reloadNetwork, NOT_RELOADABLE }, { listContainers }, { eachContainer }, { UsageError }] = await Promise.all([
        import('../../network/reload.js'),
        import('../../runtime/container/containers.js'),
        import('../each-ref.js'),
        import('../../errors.js'),
      ])
      // podman's checks (validate.CheckAllLatestAndIDFile)
      if ([flags.all, flags.latest, refs.length > 0].filter(Boolean).length > 1) throw new UsageError('--all, --latest and containers cannot be used together')
      if (!flags.all && !flags.latest && refs.length === 0) throw new UsageError('you must provide at least one name or id')
      const { state } = roots(cmd)
      const listed = flags.all || flags.latest ? listContainers(state) : []
      const chosen = flags.all ? listed.filter((c) => c.status === 'running').map((c) => c.id) : flags.latest ? listed.slice(0, 1).map((c) => c.id) : refs
      if (flags.latest && chosen.length === 0) throw new UsageError('no containers to reload')
      // each id on its own line once reloaded; one that cannot be is said and the others still are, exit 1
      await eachContainer(chosen, async (ref) => {
        try {
          process.stdout.write(`${reloadNetwork(state, ref)}\n`)
        } catch (err) {
          // --all passes over what has nothing to reload (not running any more, another's network, host, none), as podman's
          const code = (err as { code?: string }).code ?? ''
          if (flags.all && (NOT_RELOADABLE.has(code) || code === 'ENOCONTAINER')) return
          throw err
        }
      })
    })

  network
    .command('connect')
    .description('connect a container to a network (eth1, eth2...; a running one at once, names included; a stopped one at its next start)')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <alias>', 'another name on that network (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--ip <address>', 'its address there')
    .option('--ip6 <address>', 'its IPv6 address there, on a network with IPv6')
    .action(async (net: string, ref: string, flags: { alias: string[]; ip?: string; ip6?: string }, cmd: Command) => {
      const { connectContainer } = await import('../../network/connect.js')
      const { store, state } = roots(cmd)
      connectContainer(store, state, ref, net, { aliases: flags.alias, ...(flags.ip ? { ip: flags.ip } : {}), ...(flags.ip6 ? { ip6: flags.ip6 } : {}) })
      await connectionEvent(cmd, 'connect', net, ref)
    })

  network
    .command('disconnect')
    .description('disconnect a container from a network (a stopped one: at its next start)')
    .argument('<network>')
    .argument('<container>')
    // Docker's force is for an endpoint its daemon lost track of: a disconnect here always tears the network down
    .option('-f, --force', 'force the container to disconnect from a network (as a plain disconnect does)')
    .action(async (net: string, ref: string, _flags: unknown, cmd: Command) => {
      const { disconnectContainer } = await import('../../network/connect.js')
      const { store, state } = roots(cmd)
      disconnectContainer(store, state, ref, net)
      await connectionEvent(cmd, 'disconnect', net, ref)
    })
}
