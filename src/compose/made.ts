/** What one `up`, `create` or `run` made, noted as it makes it, for undo-made.ts. */
export interface Made {
  /** Real names of the networks made. */
  networks: string[]
  /** Real names of the named volumes made. */
  volumes: string[]
  /** Ids of the containers made where there was none. */
  containers: string[]
}

export function nothingMade(): Made {
  return { networks: [], volumes: [], containers: [] }
}
