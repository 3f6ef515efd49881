/**
 * Where a container's root filesystem comes from: a directory given with
 * --rootfs, or an image's layers under a writable layer of its own in
 * <store>/containers/<id>/ (an overlay). Reads what planning needs from the
 * disk; makes nothing.
 */
import { existsSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import type { RootfsSource } from '../plan/plan-rootfs.js'
import type { ImageRunConfig } from '../spec/container-spec.js'
import { checkImageRunConfig } from '../spec/image-run-config.js'
import type { RunOptions } from './run-options.js'

export interface RootFilesystem {
  source: RootfsSource
  /** Where it is mounted in the child (the spec's root.path). */
  path: string
  /** Directories holding the image's files, top first: /etc/passwd is read from them. */
  layers: string[]
  image?: ImageRunConfig
  /** The image's labels and id. */
  imageLabels?: Record<string, string>
  imageId?: string
  chainIds?: string[]
  /** An image's container: its own directory, and the mode and owner of the top layer's root. */
  containerDir?: string
  top?: { mode: number; uid: number; gid: number }
}

export async function rootFilesystem(
  o: Pick<RunOptions, 'rootfs' | 'image' | 'resolveImage'>,
  id: string,
  storeRoot: string,
  userns: { inside: boolean; idmapped: boolean },
): Promise<RootFilesystem> {
  if (o.rootfs !== undefined) {
    if (o.image !== undefined) throw new UsageError('--rootfs and an image are exclusive')
    const path = resolve(o.rootfs)
    if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`--rootfs ${o.rootfs}: not a directory`)
    return { source: { kind: 'directory' }, path, layers: [path] }
  }
  if (!o.image) throw new UsageError('an image or --rootfs is required')
  if (!o.resolveImage) throw new MiniRunError('no image store to resolve images with')
  const resolved = await o.resolveImage(o.image, storeRoot)
  const layers = [...resolved.layerDirs].reverse()
  const containerDir = join(storeRoot, 'containers', id)
  const layersDir = commonParent(layers)
  const top = statSync(layers[0]!)
  return {
    source: {
      kind: 'overlay',
      layersDir,
      lowerDirs: layers.map((l) => relative(layersDir, l)),
      upperDir: join(containerDir, 'upper'),
      workDir: join(containerDir, 'work'),
      // inside a user namespace overlayfs may only use user.* xattrs
      userxattr: userns.inside,
      idmapped: userns.idmapped ? { mountDir: join(containerDir, 'lower') } : undefined,
    },
    path: join(containerDir, 'rootfs'),
    layers,
    image: checkImageRunConfig(resolved.config.config, resolved.name),
    chainIds: resolved.chainIds,
    imageLabels: resolved.config.config?.Labels ?? undefined,
    imageId: resolved.configDigest,
    containerDir,
    top: { mode: top.mode & 0o7777, uid: top.uid, gid: top.gid },
  }
}

function commonParent(dirs: string[]): string {
  if (dirs.length === 0) throw new MiniRunError('image has no layers')
  // lower dirs are <store>/layers/<id>/fs: this finds <store>/layers
  let common = resolve(dirs[0]!, '..')
  while (!dirs.every((d) => d.startsWith(common + '/'))) {
    if (common === '/') throw new TypeError(`layer paths are not absolute: ${dirs[0]}`)
    common = resolve(common, '..')
  }
  return common
}
