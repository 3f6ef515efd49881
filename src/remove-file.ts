/**
 * Remove one file if it is there. Not fs.rmSync(path, { force: true }),
 * which in Node 20 loads its recursive remover (internal/fs/rimraf) and
 * lstats first even for a single file: 0.6-1 ms the first time in a
 * process, on a run's way out (a bridge run removes its netns pin and, with
 * the network's last lease, the leases file).
 */
import { lstatSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs'

/** unlink(2); a file already gone is no error. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/**
 * A directory of files, removed: each entry unlinked, then the directory
 * (a subdirectory, rare in what this is for, by rmSync's walk). Gone
 * already is no error; a symlink or a file where the directory was is
 * unlinked itself, as rmSync would (never what a symlink points to). What
 * another process made in it meanwhile (a container's linked-by/ note, as
 * the container it links to is removed) is removed on a second walk
 * rather than failing with ENOTEMPTY; a third is the writer's own race.
 */
export function removeFlatDir(dir: string, walks = 3): void {
  const st = lstatSync(dir, { throwIfNoEntry: false })
  if (st === undefined) return
  if (!st.isDirectory()) return removeFile(dir)
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const e of entries) {
    try {
      if (e.isDirectory()) rmSync(`${dir}/${e.name}`, { recursive: true, force: true })
      else removeFile(`${dir}/${e.name}`)
    } catch (err) {
      // filled meanwhile: this directory's rmdir fails too, and the next walk takes it
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err
    }
  }
  try {
    rmdirSync(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' && walks > 1) return removeFlatDir(dir, walks - 1)
    if (code !== 'ENOENT') throw err
  }
}
