/**
 * `compose images`: one line per container of the services, docker compose
 * 2.29's columns (CONTAINER, REPOSITORY, TAG, IMAGE ID, SIZE); -q the image
 * ids, each once, without "sha256:"; --format json an array of docker
 * compose's objects (ID, ContainerName, Repository, Tag, Size).
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { contextFor, loadFor } from './context.js'

export async function imagesCommand(services: string[], flags: { quiet?: boolean; format?: string }, cmd: Command): Promise<void> {
  if (flags.format !== undefined && flags.format !== 'table' && flags.format !== 'json') throw new UsageError(`invalid --format "${flags.format}": table or json`)
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const [{ projectImages }, { humanSize }, { alignTabs }] = await Promise.all([
    import('../../compose/project-images.js'),
    import('../format/units.js'),
    import('../format/tab-writer.js'),
  ])
  const images = await projectImages(ctx, project, services)
  if (flags.quiet) {
    return void process.stdout.write([...new Set(images.map((i) => i.id.replace(/^sha256:/, '')))].map((id) => `${id}\n`).join(''))
  }
  if (flags.format === 'json') {
    return void process.stdout.write(`${JSON.stringify(images.map((i) => ({ ID: i.id, ContainerName: i.container, Repository: i.repository, Tag: i.tag, Size: i.size })))}\n`)
  }
  const lines = [
    'CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE',
    ...images.map((i) => [i.container, i.repository || '<none>', i.tag || '<none>', i.id.replace(/^sha256:/, '').slice(0, 12), humanSize(i.size)].join('\t')),
  ]
  // docker compose's tables are tabwriter.NewWriter(out, 20, 1, 3, ' ', 0) (cmd/formatter/pretty.go)
  process.stdout.write(alignTabs(lines.join('\n'), { minWidth: 20 }).split('\n').map((l) => l.trimEnd()).join('\n') + '\n')
}
