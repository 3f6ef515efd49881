#!/usr/bin/env node
/**
 * Builds the test fixtures into rootfs-fixtures/out/ (run by `npm install`
 * after tsc, so it imports the compiled library from ../dist/):
 *
 *   busybox-rootfs/   a directory: Debian's static busybox, one symlink per
 *                     applet, /etc/passwd and /etc/group with root, daemon,
 *                     nobody, app (1000) and the group extra (2000)
 *   busybox-oci/      the same tree as an OCI layout,
 *                     localhost/mini-run/busybox:latest
 *   test-images-oci/  localhost/test/layers:latest, the two-layer image of
 *                     issue 3 (whiteout, opaque dir, hardlink, setuid,
 *                     file capability)
 *   hostile/<name>.tar  uncompressed layers that must not unpack
 *
 * and, as root, loads busybox into the default store. Each output is
 * rebuilt only when its inputs changed (a stamp holds their hash).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, chown, copyFile, mkdir, rm, symlink, writeFile, readFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hostileLayers, multiLayerImage } from './layers.js'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'out')
const dist = join(here, '..', 'dist', 'image')
const BUSYBOX = '/bin/busybox'
const BUSYBOX_NAME = 'localhost/mini-run/busybox:latest'
const TEST_IMAGE_NAME = 'localhost/test/layers:latest'
const HOSTILE_TARGET = '/tmp/mini-run-hostile-target'
const isRoot = process.getuid?.() === 0
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

function log(message) {
  process.stdout.write(`rootfs-fixtures: ${message}\n`)
}

function fail(message) {
  process.stderr.write(`rootfs-fixtures: ${message}\n`)
  process.exit(1)
}

/** True if an ELF file asks for a dynamic loader (has a PT_INTERP program header). */
function isDynamicElf(path) {
  const elf = readFileSync(path)
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return true // not a 64-bit ELF: refuse
  const phoff = Number(elf.readBigUInt64LE(0x20))
  const phentsize = elf.readUInt16LE(0x36)
  const phnum = elf.readUInt16LE(0x38)
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true
  return false
}

function checkBusybox() {
  if (!existsSync(BUSYBOX)) fail(`${BUSYBOX} is missing: apt-get install -y busybox-static`)
  if (isDynamicElf(BUSYBOX)) fail(`${BUSYBOX} is not statically linked: apt-get install -y busybox-static`)
}

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
`
const GROUP = `root:x:0:
daemon:x:1:
app:x:1000:
extra:x:2000:app
nogroup:x:65534:
`

/** The busybox root file system as layer entries (owners and modes exact, whoever builds it). */
function busyboxEntries() {
  const entries = []
  const dirs = new Set()
  const dir = (path, mode = 0o755, uid = 0, gid = 0) => {
    if (dirs.has(path)) return
    dirs.add(path)
    entries.push({ path, type: 'dir', mode, uid, gid })
  }
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'dev', 'proc', 'sys', 'home', 'var', 'run']) dir(d)
  dir('tmp', 0o1777)
  dir('root', 0o700)
  dir('home/app', 0o755, 1000, 1000)
  entries.push({ path: 'bin/busybox', type: 'file', mode: 0o755, content: readFileSync(BUSYBOX) })
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean)
  for (const applet of applets.sort()) {
    if (applet === 'bin/busybox') continue
    const parent = applet.split('/').slice(0, -1).join('/')
    if (parent) dir(parent)
    entries.push({ path: applet, type: 'symlink', linkname: '/bin/busybox' })
  }
  entries.push({ path: 'etc/passwd', type: 'file', content: PASSWD })
  entries.push({ path: 'etc/group', type: 'file', content: GROUP })
  entries.push({ path: 'etc/hostname', type: 'file', content: 'mini-run\n' })
  return entries
}

/** Materialize entries as a directory (owners only as root). */
async function writeTree(root, entries) {
  await rm(root, { recursive: true, force: true })
  await mkdir(root, { recursive: true })
  const dirModes = []
  for (const e of entries) {
    const path = join(root, e.path)
    if (e.type === 'dir') {
      await mkdir(path, { recursive: true })
      dirModes.push([path, e.mode ?? 0o755, e.uid ?? 0, e.gid ?? 0])
      continue
    }
    await mkdir(dirname(path), { recursive: true })
    if (e.type === 'symlink') await symlink(e.linkname, path)
    else if (e.type === 'file') {
      if (Buffer.isBuffer(e.content) && e.path === 'bin/busybox') await copyFile(BUSYBOX, path)
      else await writeFile(path, e.content ?? '')
      await chmod(path, e.mode ?? 0o644)
      if (isRoot) await chown(path, e.uid ?? 0, e.gid ?? 0)
    }
  }
  for (const [path, mode, uid, gid] of dirModes) {
    if (isRoot) await chown(path, uid, gid)
    await chmod(path, mode)
  }
}

/** Run build() unless the stamp in dir says inputs are unchanged. */
async function upToDate(name, inputs, build) {
  const hash = createHash('sha256')
  for (const input of inputs) hash.update(typeof input === 'string' ? input : JSON.stringify(input, (k, v) => (v?.type === 'Buffer' ? createHash('sha256').update(Buffer.from(v.data)).digest('hex') : v)))
  const want = hash.digest('hex')
  const stampPath = join(out, `.${name}.stamp`)
  const have = await readFile(stampPath, 'utf8').catch(() => '')
  if (have === want && existsSync(join(out, name))) return false
  await build()
  await writeFile(stampPath, want)
  log(`built out/${name}`)
  return true
}

async function main() {
  checkBusybox()
  if (!existsSync(join(dist, 'oci-layout.js'))) fail('dist/ is missing: run `npx tsc -p tsconfig.json` first')
  const { writeOciLayout, layerTar } = await import(join(dist, 'oci-layout.js'))
  await mkdir(out, { recursive: true })
  const self = readFileSync(fileURLToPath(import.meta.url), 'utf8') + readFileSync(join(here, 'layers.js'), 'utf8')
  const busybox = busyboxEntries()
  const bbInputs = [self, busybox, String(isRoot)]

  await upToDate('busybox-rootfs', bbInputs, () => writeTree(join(out, 'busybox-rootfs'), busybox))
  await upToDate('busybox-oci', bbInputs, async () => {
    await rm(join(out, 'busybox-oci'), { recursive: true, force: true })
    await writeOciLayout(join(out, 'busybox-oci'), {
      name: BUSYBOX_NAME,
      config: { config: { Env: [PATH_ENV], Cmd: ['sh'] } },
      layers: [busybox],
    })
  })
  await upToDate('test-images-oci', [self], async () => {
    await rm(join(out, 'test-images-oci'), { recursive: true, force: true })
    await writeOciLayout(join(out, 'test-images-oci'), {
      name: TEST_IMAGE_NAME,
      config: { config: { Env: [PATH_ENV], Cmd: ['sh'] } },
      layers: multiLayerImage,
    })
  })
  await upToDate('hostile', [self], async () => {
    await rm(join(out, 'hostile'), { recursive: true, force: true })
    await mkdir(join(out, 'hostile'))
    for (const layer of hostileLayers(HOSTILE_TARGET)) {
      await writeFile(join(out, 'hostile', `${layer.name}.tar`), await layerTar(layer.entries))
    }
  })

  if (!isRoot) {
    log(`not root: skipping the load of ${BUSYBOX_NAME} into the default store`)
    return
  }
  const { ImageStore } = await import(join(dist, 'store.js'))
  const { loadArchive } = await import(join(dist, 'load-archive.js'))
  const store = new ImageStore()
  const index = JSON.parse(await readFile(join(out, 'busybox-oci', 'index.json'), 'utf8'))
  const manifestDigest = index.manifests[0].digest
  if ((await store.getRef(BUSYBOX_NAME)) === manifestDigest) return
  await loadArchive(store, join(out, 'busybox-oci'))
  log(`loaded ${BUSYBOX_NAME} into ${store.root}`)
}

main().catch((err) => fail(err?.stack ?? String(err)))
