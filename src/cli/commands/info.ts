import type { Command } from 'commander'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { humanSize } from '../format/units.js'
import { goArch } from './version.js'

export function register(program: Command): void {
  program
    .command('info')
    .description('what this host offers containers (cgroup, user namespaces, seccomp, storage) and mini-run\'s paths')
    .option('-f, --format <template>', 'format the output with a Go template: {{.CgroupVersion}}, {{json .}}')
    .action(async (flags: { format?: string }, cmd: Command) => {
      const { hostInfo } = await import('../../runtime/host-info.js')
      const { miniRunVersion } = await import('../../version.js')
      const info = hostInfo(globalOptions(cmd).root ?? defaultStoreRoot(), stateRootOf(cmd), goArch())
      if (flags.format !== undefined) {
        const { formatEach } = await import('../format/format-list.js')
        process.stdout.write(formatEach(flags.format, [info]))
        return
      }
      const yes = (b: boolean) => (b ? 'yes' : 'no')
      process.stdout.write(
        [
          'Client: mini-run',
          ` Version:    ${miniRunVersion()}`,
          '',
          'Server:',
          ` Containers: ${info.Containers}`,
          `  Running: ${info.ContainersRunning}`,
          `  Paused: ${info.ContainersPaused}`,
          `  Stopped: ${info.ContainersStopped}`,
          ` Images: ${info.Images}`,
          ` Storage Driver: ${info.StorageDriver}`,
          ` Logging Driver: ${info.LoggingDriver}`,
          ` Cgroup Driver: ${info.CgroupDriver}`,
          ` Cgroup Version: ${info.CgroupVersion}`,
          ...(info.CgroupMount ? [` Cgroup Mount: ${info.CgroupMount}`, ` Cgroup Controllers: ${info.CgroupControllers.join(' ') || '(none)'}`] : []),
          ` Freezer (pause): ${yes(info.Freezer)}`,
          ` User Namespaces: ${yes(info.UserNamespaces)}`,
          ` Idmapped Mounts: ${yes(info.IdmappedMounts)}`,
          ` Security Options:`,
          ...info.SecurityOptions.map((s) => `  ${s}`),
          ` Kernel Version: ${info.KernelVersion}`,
          ` Operating System: ${info.OperatingSystem}`,
          ` OSType: ${info.OSType}`,
          ` Architecture: ${info.Architecture}`,
          ` CPUs: ${info.NCPU}`,
          ` Total Memory: ${humanSize(info.MemTotal)}`,
          ` Mini-run Root Dir: ${info.RootDir}`,
          ` Mini-run State Dir: ${info.StateDir}`,
          '',
        ].join('\n'),
      )
    })
}
