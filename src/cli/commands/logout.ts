import type { Command } from 'commander'

export function register(program: Command): void {
  program
    .command('logout')
    .description('forget the credentials stored for a registry')
    .argument('[server]', 'the registry, HOST[:PORT] (default: Docker Hub)')
    .action(async (server: string | undefined) => {
      const [{ logout }, { configKey }] = await Promise.all([import('../../registry/login.js'), import('../../registry/docker-config.js')])
      const { registry, removed } = await logout(server)
      process.stdout.write(removed ? `Removing login credentials for ${configKey(registry)}\n` : `Not logged in to ${configKey(registry)}\n`)
    })
}
