/**
 * The order of a container's own mounts (volumes, binds, tmpfs, the
 * network's /etc files): a parent before what lies in it, as Docker sorts
 * them (daemon's sortMounts, by the depth of the destination). In the order
 * given, `-v data:/etc` would be mounted over the /etc/hosts, resolv.conf
 * and hostname binds made just before it, and hide them; `-v a:/x/y -v b:/x`
 * would hide a under b. Mounts at one depth keep the order given.
 */
import { posix } from 'node:path'
import type { SpecMount } from './spec.js'

function depth(destination: string): number {
  const clean = posix.normalize(destination).replace(/\/+$/, '')
  return clean.split('/').length - 1
}

export function parentsFirst<M extends Pick<SpecMount, 'destination'>>(mounts: readonly M[]): M[] {
  return mounts
    .map((m, i) => ({ m, i, d: depth(m.destination) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map(({ m }) => m)
}
