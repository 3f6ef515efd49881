/**
 * `compose version`: the Docker Compose version whose behaviour mini-run's
 * compose follows (labels.ts COMPOSE_VERSION, which its containers' labels
 * carry too), in docker compose's three shapes (cmd/compose/version.go):
 * a line, --short the bare number scripts compare, --format json. No
 * compose file is read.
 */
import { UsageError } from '../../errors.js'

export async function versionCommand(flags: { short?: boolean; format?: string }): Promise<void> {
  if (flags.format !== undefined && flags.format !== 'pretty' && flags.format !== 'json') throw new UsageError(`invalid --format "${flags.format}": pretty or json`)
  const [{ COMPOSE_VERSION }, { miniRunVersion }] = await Promise.all([import('../../compose/labels.js'), import('../../version.js')])
  if (flags.short) process.stdout.write(`${COMPOSE_VERSION}\n`)
  else if (flags.format === 'json') process.stdout.write(`${JSON.stringify({ version: `v${COMPOSE_VERSION}` })}\n`)
  else process.stdout.write(`mini-run compose version v${COMPOSE_VERSION} (mini-run ${miniRunVersion()})\n`)
}
