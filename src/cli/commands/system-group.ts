import type { Command } from 'commander'
import { registerOn as registerEventsOn } from './events.js'
import { register as registerSystem } from './system.js'
import { register as registerSystemCheck } from './system-check.js'
import { register as registerSystemService } from './system-service.js'

/** `system`: df and prune, then check, events and service. */
export function register(program: Command): void {
  registerSystem(program)
  registerSystemCheck(program)
  const system = program.commands.find((c) => c.name() === 'system')!
  registerEventsOn(system)
  registerSystemService(system)
}
