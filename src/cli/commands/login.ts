import type { Command } from 'commander'
import { createInterface } from 'node:readline'

const collect = (value: string, previous: string[]) => [...previous, value]

interface LoginFlags {
  username?: string
  password?: string
  passwordStdin?: boolean
  insecureRegistry: string[]
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/** A line from the terminal; without echo for a password. */
async function prompt(question: string, secret: boolean): Promise<string> {
  const output = process.stderr
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  if (secret) {
    // readline echoes through _writeToOutput: say the question, then nothing
    const internal = rl as unknown as { _writeToOutput: (s: string) => void }
    let asked = false
    internal._writeToOutput = (s: string) => {
      if (!asked) {
        asked = true
        output.write(s)
      }
    }
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('close', () => reject(new Error('no input')))
      rl.question(question, resolve)
    })
  } finally {
    rl.close()
    if (secret) output.write('\n')
  }
}

export function register(program: Command): void {
  program
    .command('login')
    .description('log in to a registry: check the credentials and store them in Docker\'s config.json')
    .argument('[server]', 'the registry, HOST[:PORT] (default: Docker Hub)')
    .option('-u, --username <user>', 'username')
    .option('-p, --password <password>', 'password (insecure: use --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .action(async (server: string | undefined, flags: LoginFlags) => {
      const [{ login }, { UsageError }] = await Promise.all([import('../../registry/login.js'), import('../../errors.js')])
      let { username, password } = flags
      if (flags.passwordStdin) {
        if (password !== undefined) throw new UsageError('--password and --password-stdin are mutually exclusive')
        if (username === undefined) throw new UsageError('--password-stdin needs --username')
        password = (await readStdin()).replace(/[\r\n]+$/, '')
      } else if (password !== undefined) {
        process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n')
      }
      if (username === undefined || password === undefined) {
        if (!process.stdin.isTTY) throw new UsageError('cannot perform an interactive login from a non TTY device: use -u and --password-stdin')
        username ??= (await prompt('Username: ', false)).trim()
        password ??= await prompt('Password: ', true)
      }
      const stored = await login(server, { username, password }, { insecureRegistries: flags.insecureRegistry })
      if (!stored.helper) {
        process.stderr.write(`WARNING! Your password will be stored unencrypted in ${stored.file}.\n`)
      }
      process.stdout.write('Login Succeeded\n')
    })
}
