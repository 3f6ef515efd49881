/**
 * `compose -p NAME VERB` where no compose file is found: the project as its
 * containers' labels tell it, as Docker Compose's projectFromName makes it
 * (cmd/compose's projectOrName). Each service is what its containers say:
 * its name, its image, and its depends_on (the label's `svc:condition:restart`
 * entries), so the verbs that act on what exists (ps, logs, start, stop,
 * restart, kill, rm, pause, top, images, exec...) find it and keep the
 * dependency order; nothing is read from files that may have changed.
 */
import { At } from './compose-error.js'
import { LABELS } from './labels.js'
import type { Project } from './model.js'
import { normalizeService } from './normalize-service.js'
import { projectContainers, separatorOf } from './project-containers.js'
import { projectNetworks } from './project-networks.js'
import type { Raw } from './values.js'

/** The depends_on label, `db:service_healthy:false,cache:service_started:true`, as compose's long syntax. */
function dependsOnOf(label: string | undefined): Raw {
  const out: Raw = {}
  for (const entry of (label ?? '').split(',').filter(Boolean)) {
    const [name, condition = 'service_started', restart = 'false'] = entry.split(':')
    if (name) out[name] = { condition, restart: restart === 'true', required: false }
  }
  return out
}

export function projectFromLabels(stateRoot: string, name: string, o: { compatibility?: boolean } = {}): Project {
  const separator = separatorOf(o)
  // a service's own containers first: a one-off's (compose run) names only its service
  const all = projectContainers(stateRoot, name)
  const containers = [...all.filter((c) => !c.oneoff), ...all.filter((c) => c.oneoff)]
  const first = containers[0]?.info.labels ?? {}
  const workingDir = first[LABELS.workingDir] ?? process.cwd()
  const files = (first[LABELS.configFiles] ?? '').split(',').filter(Boolean)
  const shown = `project ${name}`
  const raws = new Map<string, Raw>()
  for (const c of containers) {
    if (raws.has(c.service)) continue
    const labels = c.info.labels ?? {}
    // the image as the service named it; the label holds its id
    const image = c.info.image ?? labels[LABELS.image] ?? name + separator + c.service
    const own = [name, c.service, c.number].join(separator)
    raws.set(c.service, { image, depends_on: dependsOnOf(labels[LABELS.dependsOn]), ...(!c.oneoff && c.info.name !== own && { container_name: c.info.name }) })
  }
  const services: Project['services'] = {}
  const ctx = { projectName: name, separator, projectDir: workingDir, lookup: () => undefined, volumes: new Set<string>(), networks: new Set(['default']), secrets: {}, configs: {}, warnings: [] }
  for (const [service, raw] of raws) services[service] = normalizeService(service, raw, new At(shown, ['services', service]), ctx)
  // a dependency with no container of its own is not this project's any more
  for (const s of Object.values(services)) for (const dep of Object.keys(s.dependsOn)) if (!services[dep]) delete s.dependsOn[dep]
  return {
    name,
    workingDir,
    files,
    services,
    disabledServices: [],
    networks: projectNetworks(undefined, name, (key) => new At(shown, ['networks', key])),
    volumes: {},
    serviceFiles: Object.fromEntries(Object.keys(services).map((s) => [s, shown])),
    mainFile: shown,
    environment: {},
    fromLabels: true,
    ...(o.compatibility && { compatibility: true }),
  }
}
