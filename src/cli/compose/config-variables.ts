/**
 * `compose config --variables`: the variables the compose files read, with
 * whether each is required, its default and its alternate value, as docker
 * compose prints them (runVariables): from the files as written, neither
 * interpolated nor validated, every service's whatever SERVICEs are named.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { stringifyYaml } from '../../compose/vendor.js'
import { composeFlags } from './context.js'
import { printEvent } from './display.js'

export async function configVariables(services: string[], format: string | undefined, cmd: Command): Promise<void> {
  if (format !== undefined && !['table', 'json', 'yaml'].includes(format)) throw new UsageError(`invalid --format "${format}": table, json or yaml`)
  if (services.length) printEvent({ kind: 'warning', message: 'service filtering is not applied when --variables is set, variables from the full model will be rendered' })
  const [{ findComposeFiles }, { readComposeYaml }, { extractVariables }] = await Promise.all([
    import('../../compose/find-files.js'),
    import('../../compose/load.js'),
    import('../../compose/variables.js'),
  ])
  const { files } = findComposeFiles(composeFlags(cmd).file, process.cwd(), process.env)
  const variables = new Map<string, import('../../compose/variables.js').Variable>()
  for (const file of files) extractVariables(readComposeYaml(file, file).value, variables)
  const sorted = [...variables.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (format === 'json') {
    const json = Object.fromEntries(sorted.map((v) => [v.name, { Name: v.name, DefaultValue: v.defaultValue, PresenceValue: v.presenceValue, Required: v.required }]))
    return void process.stdout.write(`${JSON.stringify(json)}\n`)
  }
  if (format === 'yaml') {
    const yaml = Object.fromEntries(sorted.map((v) => [v.name, { name: v.name, defaultvalue: v.defaultValue, presencevalue: v.presenceValue, required: v.required }]))
    return void process.stdout.write(stringifyYaml(yaml))
  }
  const { alignTabs } = await import('../format/tab-writer.js')
  const lines = ['NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE', ...sorted.map((v) => [v.name, String(v.required), v.defaultValue, v.presenceValue].join('\t'))]
  // docker compose's tables are tabwriter.NewWriter(out, 20, 1, 3, ' ', 0) (cmd/formatter/pretty.go)
  process.stdout.write(alignTabs(lines.join('\n'), { minWidth: 20 }).split('\n').map((l) => l.trimEnd()).join('\n') + '\n')
}
