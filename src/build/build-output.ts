/**
 * `build -o/--output`: where the target stage's filesystem goes instead of
 * an image of the store, in docker buildx's syntax and with its checks
 * (buildx util/buildflags/export.go, build/opt.go CreateExports), made
 * before anything is built:
 *
 *   -o DIR                              type=local,dest=DIR
 *   -o -                                type=tar to stdout
 *   --output type=local,dest=DIR        the files, into DIR (made if missing)
 *   --output type=tar[,dest=FILE|-]     a tar of them (no dest: stdout)
 *   --output type=cacheonly             nothing: the steps go to the cache
 *
 * A value is comma-separated KEY=VALUE fields as Go's encoding/csv reads
 * them; keys are case-insensitive. Only a single field that does not start
 * with "type=" is a destination alone: `-o dest=out` is a directory named
 * "dest=out", as buildx has it. BuildKit ignores a key its exporter does
 * not know; mini-run refuses it, so a misspelt `dst=out` is not a build
 * that writes nowhere. The exporters that make an image (image, docker,
 * oci, registry) are refused with the verb that does it here: the store
 * is mini-run's only image exporter (-t), and `save` and `push` send its
 * images on.
 */
import { statSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { csvFields } from '../runtime/spec/csv-fields.js'

/** One -o value, checked. dest "-" is stdout; cacheonly has none. */
export type OutputSpec = { type: 'local'; dest: string } | { type: 'tar'; dest: string } | { type: 'cacheonly' }

const KEYS: Record<OutputSpec['type'], readonly string[]> = {
  local: ['dest', 'mode'],
  tar: ['dest'],
  cacheonly: [],
}

/** What to use instead of an exporter that makes an image. */
const IMAGE_EXPORTERS: Record<string, string> = {
  image: 'build without --output stores the image (-t NAME names it)',
  docker: 'build with -t NAME, then mini-run save -o FILE NAME',
  oci: 'build with -t NAME, then mini-run save -o FILE NAME (its archive is an OCI layout too)',
  registry: 'build with -t NAME --push (without --output)',
}

/** One -o value as buildx reads it (ExportEntry.UnmarshalText), its keys checked. */
export function parseOutputFlag(value: string): OutputSpec {
  const fail = (why: string) => new UsageError(`--output ${value}: ${why}`)
  const fields = csvFields(value, `--output ${value}`)
  if (fields.length === 1 && fields[0] === value && !value.startsWith('type=')) {
    return value === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: value }
  }
  const attrs = new Map<string, string>()
  for (const field of fields) {
    const eq = field.indexOf('=')
    if (eq < 0) throw fail(`invalid value ${field}`)
    attrs.set(field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1))
  }
  const type = attrs.get('type')
  attrs.delete('type')
  if (!type) throw fail('type is required for output')
  const instead = IMAGE_EXPORTERS[type]
  if (instead !== undefined) throw fail(`mini-run build exports no images (only local, tar or cacheonly): ${instead}`)
  if (type !== 'local' && type !== 'tar' && type !== 'cacheonly') throw fail(`exporter "${type}" could not be found`)
  for (const key of attrs.keys()) {
    if (!KEYS[type].includes(key)) {
      const known = KEYS[type].length ? `: ${type} takes ${KEYS[type].join(', ')}` : ''
      throw fail(`unknown key "${key}" for the ${type} exporter${known}`)
    }
  }
  const mode = attrs.get('mode')?.trim().toLowerCase()
  if (mode === 'delete') throw fail('mode=delete is not supported: empty the directory first (mode=copy writes over what is there)')
  if (mode !== undefined && mode !== '' && mode !== 'copy') throw fail(`invalid local exporter mode "${attrs.get('mode')}"`)
  const dest = attrs.get('dest') ?? ''
  if (type === 'cacheonly') return { type }
  if (type === 'local') {
    if (dest === '') throw fail('dest is required for local exporter')
    if (dest === '-') throw fail('dest cannot be stdout for local exporter')
    return { type, dest }
  }
  return { type, dest: dest === '' ? '-' : dest }
}

/**
 * All the -o values, checked as buildx checks them before it builds: a
 * directory that is a file, a file that is a directory, stdout at most
 * once and never a terminal. Empty values are skipped, as buildx does.
 */
export function parseOutputFlags(values: readonly string[], o: { stdoutIsTTY: boolean; iidfile?: string | undefined }): OutputSpec[] {
  const specs = values.filter((v) => v !== '').map(parseOutputFlag)
  let stdout = false
  for (const spec of specs) {
    if (spec.type === 'cacheonly') continue
    if (o.iidfile !== undefined) throw new UsageError('local and tar exporters are incompatible with image ID file')
    if (spec.dest === '-') {
      if (stdout) throw new UsageError('multiple outputs configured to write to stdout')
      if (o.stdoutIsTTY) throw new UsageError('dest file is required for tar exporter. refusing to write to console')
      stdout = true
      continue
    }
    let st
    try {
      st = statSync(spec.dest, { throwIfNoEntry: false })
    } catch (err) {
      const what = spec.type === 'local' ? 'directory' : 'file'
      throw new UsageError(`invalid destination ${what}: ${spec.dest}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
    }
    if (spec.type === 'local' && st && !st.isDirectory()) throw new UsageError(`destination directory ${spec.dest} is a file`)
    if (spec.type === 'tar' && st?.isDirectory()) throw new UsageError(`destination file ${spec.dest} is a directory`)
  }
  return specs
}
