/**
 * Docker's way with a verb given several containers (or volumes): act on
 * each in turn, report each failure on its own line, go on, and exit 1 if
 * any failed.
 */
export async function eachContainer(refs: string[], act: (ref: string) => Promise<void>, o: { missingIsFine?: boolean } = {}): Promise<void> {
  const { errorLine } = await import('./error-line.js')
  for (const ref of refs) {
    try {
      await act(ref)
    } catch (err) {
      process.stderr.write(errorLine(err))
      // `rm -f` of one that is not there: said, but no failure (docker/cli rm.go), as scripts clean up with it
      if (!(o.missingIsFine && (err as { code?: string }).code === 'ENOCONTAINER')) process.exitCode = 1
    }
  }
}
