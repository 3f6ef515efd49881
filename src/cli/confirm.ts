/**
 * Docker's confirmation prompt (`prune` without -f): the question on
 * stdout, one line read from stdin; only "y" or "yes" goes on. With no
 * terminal and nothing to read, the answer is no.
 */
import { createInterface } from 'node:readline'

export async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question)
  const rl = createInterface({ input: process.stdin, terminal: false })
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve)
      rl.once('close', () => resolve(''))
    })
    const ok = /^(y|yes)$/i.test(answer.trim())
    if (!ok && answer === '') process.stdout.write('\n')
    return ok
  } finally {
    rl.close()
  }
}
