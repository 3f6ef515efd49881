/**
 * The labels by which compose finds what it made, Docker Compose's own
 * (so the names mean what they mean there): on containers, networks and
 * volumes.
 */
export const LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  image: 'com.docker.compose.image',
  dependsOn: 'com.docker.compose.depends_on',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const

/** What com.docker.compose.version says: the Compose version whose behaviour mini-run follows. */
export const COMPOSE_VERSION = '2.29.0'
