/**
 * Compose's third-party code, in one module: the `yaml` parser (YAML 1.2,
 * anchors and merge keys, duplicate keys refused, errors with line and
 * column) and the Compose Specification's schema validator (ajv).
 * scripts/bundle.mjs puts this module in a file of its own,
 * dist/mini-run-compose-vendor.cjs, read only when `compose` runs.
 */
export { isPair, isScalar, isSeq, parseDocument, stringify as stringifyYaml, visit, YAMLParseError } from 'yaml'
export { validateCompose } from './schema-validator.js'
export type { ErrorObject } from 'ajv'
// compose watch's file watcher: one inotify watch per directory, directories made later watched too
export { watch as watchPaths } from 'chokidar'
