/**
 * Secrets and configs whose content is not a file (an environment
 * variable's value, a config's inline `content`): written into the
 * container's own filesystem after it is made and before each start,
 * as Docker Compose copies them in (pkg/compose/secrets.go): owned by
 * `uid`:`gid` (root's by default), mode `mode` (0444 by default). A
 * variable the project's environment does not have is an error then;
 * empty content writes nothing, as there.
 */
import { MiniRunError } from '../errors.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { writeIntoContainer, type ContainerFile } from '../runtime/container/copy/copy-container.js'
import { containerPath, unsetVariable, writtenContent } from './file-objects.js'
import type { Project, Service } from './model.js'

/** Whether the service has any file to write (and so is made, then written into, then started). */
export function writesFiles(service: Service): boolean {
  return [...(service.secrets ?? []), ...(service.configs ?? [])].some((r) => !('file' in r.from))
}

export async function injectFiles(project: Pick<Project, 'environment'>, service: Service, c: ContainerInfo): Promise<void> {
  const files: ContainerFile[] = []
  for (const kind of ['secret', 'config'] as const) {
    for (const ref of service[`${kind}s`] ?? []) {
      if ('file' in ref.from) continue
      const content = writtenContent(ref, project.environment)
      if (content === undefined) throw new MiniRunError(unsetVariable(kind, ref), { code: 'ECOMPOSE' })
      if (content === '') continue
      files.push({ path: containerPath(kind, ref), content: Buffer.from(content), uid: Number(ref.uid ?? 0), gid: Number(ref.gid ?? 0), mode: ref.mode ?? 0o444 })
    }
  }
  if (files.length) await writeIntoContainer(c, files)
}
