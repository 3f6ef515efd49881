import type { Command } from 'commander'
import { arch, release } from 'node:os'

/** Docker's GOARCH names for Node's process.arch. */
export function goArch(a: string = arch()): string {
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a
}

export function register(program: Command): void {
  program
    .command('version')
    .description('show mini-run\'s version and what it runs on')
    .option('-f, --format <template>', 'format the output with a Go template: {{.Version}}, {{json .}}')
    .action(async (flags: { format?: string }) => {
      const { miniRunVersion } = await import('../../version.js')
      const { monitorPath } = await import('../../native/lib.js')
      const info = {
        Version: miniRunVersion(),
        NodeVersion: process.version,
        Os: 'linux',
        Arch: goArch(),
        KernelVersion: release(),
        Runtime: 'mini-run-stage (clone3 + the step program)',
        Monitor: monitorPath(),
      }
      if (flags.format !== undefined) {
        const { formatEach } = await import('../format/format-list.js')
        process.stdout.write(formatEach(flags.format, [info]))
        return
      }
      process.stdout.write(
        [
          'mini-run:',
          ` Version:          ${info.Version}`,
          ` Node.js version:  ${info.NodeVersion}`,
          ` OS/Arch:          ${info.Os}/${info.Arch}`,
          ` Kernel version:   ${info.KernelVersion}`,
          ` Runtime:          ${info.Runtime}`,
          ` Monitor:          ${info.Monitor}`,
          '',
        ].join('\n'),
      )
    })
}
