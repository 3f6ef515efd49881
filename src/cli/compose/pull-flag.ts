import type { ImageOptions } from '../../compose/images.js'

/** up, create and run's --pull, as docker compose's validPullPolicies has them; if_not_present is missing. */
export const PULL_FLAG = ['always', 'missing', 'never', 'build', 'if_not_present']

export function pullFlag(value: string): NonNullable<ImageOptions['pull']> {
  return value === 'if_not_present' ? 'missing' : (value as NonNullable<ImageOptions['pull']>)
}
