import * as pathDefaults from '../paths.js'
import type { GlobalOptions } from './global-options.js'

/**
 * The argv that runs this very CLI again with this command's store and
 * state: what the monitor's exit command and a health runner are made of,
 * run after this process is gone. As the executable's #! line does: "--"
 * ends Node's own options, or Node 20 would read an --env-file anywhere in
 * argv (nodejs/node#54232).
 */
export function selfCommand(global: GlobalOptions): string[] {
  const { defaultStateRoot, defaultStoreRoot } = pathDefaults
  return [process.execPath, '--', process.argv[1]!, '--root', global.root ?? defaultStoreRoot(), '--state', global.state ?? defaultStateRoot()]
}
