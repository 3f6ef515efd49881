/**
 * `mini-run history`: the config's history, newest first, each entry with
 * the layer it made. An entry with empty_layer made none (ENV, CMD...);
 * every other one made the next layer of rootfs.diff_ids, in order.
 */
import type { ImageStore } from './store.js'

export interface HistoryRow {
  /** The image id on the newest row, as Docker prints it; undefined for the others ("<missing>"). */
  id?: string
  created?: string
  createdBy: string
  /** Bytes of file content of the layer the step made; 0 for an empty layer. */
  size: number
  comment: string
  emptyLayer: boolean
  /** The layer the step made. */
  diffId?: string
}

export async function imageHistory(store: ImageStore, ref: string): Promise<HistoryRow[]> {
  const image = await store.resolve(ref)
  const diffIds = image.config.rootfs.diff_ids
  const history = image.config.history ?? []
  const rows: HistoryRow[] = []
  let layer = 0
  for (const h of history) {
    const empty = h.empty_layer === true
    const row: HistoryRow = { createdBy: h.created_by ?? '', size: 0, comment: h.comment ?? '', emptyLayer: empty }
    if (h.created !== undefined) row.created = h.created
    if (!empty && layer < diffIds.length) {
      row.diffId = diffIds[layer]
      row.size = (await store.getLayer(image.chainIds[layer]!)).size
      layer++
    }
    rows.push(row)
  }
  // a config without history (or with too little) still has its layers
  for (; layer < diffIds.length; layer++) {
    rows.push({ createdBy: '', size: (await store.getLayer(image.chainIds[layer]!)).size, comment: '', emptyLayer: false, diffId: diffIds[layer]! })
  }
  rows.reverse()
  if (rows[0]) rows[0].id = image.configDigest
  return rows
}
