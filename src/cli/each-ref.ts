/**
 * Docker's way with a verb given several containers (or volumes): act on
 * each in turn, report each failure on its own line, go on, and exit 1 if
 * any failed.
 */
export async function eachContainer(refs: string[], act: (ref: string) => Promise<void>): Promise<void> {
  const { errorLine } = await import('./error-line.js')
  for (const ref of refs) {
    try {
      await act(ref)
    } catch (err) {
      process.stderr.write(errorLine(err))
      process.exitCode = 1
    }
  }
}
