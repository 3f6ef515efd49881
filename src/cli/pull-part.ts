/**
 * The entry of dist/mini-run-pull.cjs, the part of `run` that pulls
 * (scripts/bundle.mjs): what the run bundle imports from it under these
 * modules' names, pull-for-run.js and the store's layer ingest.
 */
export { pullForRun } from './pull-for-run.js'
export { ingestLayer } from '../image/ingest-layer.js'
export { ingestInUserns } from '../image/ingest-in-userns.js'
