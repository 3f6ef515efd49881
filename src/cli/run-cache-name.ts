/**
 * The run bundle's cache for the line's path: its network, and an image or
 * --rootfs. A run compiles the code of its own path only, and a cache
 * written after a run on another path leaves this one's functions to be
 * compiled at every start: on the default bridge with the cache of a
 * `--network none` run, 6 ms slower (40 paired rounds); an image's run with
 * a --rootfs run's cache, 1.1 ms. The other way, a cache that holds the
 * bridge's code too is 54 kB more to read at every start. The default (an
 * image, on the default network: a bridge as root, pasta for a rootless
 * user) keeps the plain `<bundle>.cache`.
 */
export function runCacheName(flags: Record<string, unknown>): string | undefined {
  // the first --network (repeatable): a name, or the long form's name= field
  const network = (flags.network as string[] | undefined)?.[0]?.replace(/^(?=.*\w=\w).*?\bname=([^,]*).*$/s, '$1')
  const net = network === undefined || network === 'bridge' || network === 'default' ? undefined : network === 'none' || network === 'host' ? network : 'other'
  const parts = [net, flags.rootfs !== undefined ? 'rootfs' : undefined].filter((p) => p !== undefined)
  return parts.length ? parts.join('-') : undefined
}
