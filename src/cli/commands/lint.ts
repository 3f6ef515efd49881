import type { Command } from 'commander'
import { dirname, resolve } from 'node:path'

/** The warnings for a Dockerfile (and what its COPYs bring from the context), one line each, the file named as given. */
async function lintLines(dockerfile: string, context: string, target?: string, shown = dockerfile): Promise<string[]> {
  const [{ parseDockerfile }, { lintDockerfile, formatWarning }, { BuildContext }, { readDockerfile }] = await Promise.all([
    import('../../build/dockerfile.js'),
    import('../../build/lint.js'),
    import('../../build/build-context.js'),
    import('../../build/read-dockerfile.js'),
  ])
  const df = parseDockerfile(readDockerfile(resolve(dockerfile)))
  return lintDockerfile(df, BuildContext.open(context, resolve(dockerfile)), target).map((w) => formatWarning(shown, w))
}

/** `lint` and `build --check`: print the warnings; exit 1 when there are any. */
export async function lintCommand(dockerfile: string, context: string, target?: string, shown = dockerfile): Promise<number> {
  const lines = await lintLines(dockerfile, context, target, shown)
  if (lines.length === 0) {
    process.stdout.write('Check complete, no warnings found.\n')
    return 0
  }
  process.stdout.write(lines.map((l) => `${l}\n`).join(''))
  return 1
}

/** After a build: the same warnings, on stderr. */
export async function printLint(dockerfile: string, context: string, target?: string, shown = dockerfile): Promise<void> {
  for (const line of await lintLines(dockerfile, context, target, shown)) process.stderr.write(`WARNING: ${line}\n`)
}

export function register(program: Command): void {
  program
    .command('lint')
    .description('check a Dockerfile for common mistakes (secrets in ENV, running as root, :latest bases...)')
    .argument('[dockerfile]', 'the Dockerfile', 'Dockerfile')
    .option('--context <dir>', 'the build context, for what COPY would bring along (default: the Dockerfile\'s directory)')
    .action(async (dockerfile: string, flags: { context?: string }) => {
      process.exitCode = await lintCommand(dockerfile, flags.context ?? dirname(dockerfile))
    })
}
