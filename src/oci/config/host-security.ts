/**
 * Which Linux security modules the host runs: a config.json's AppArmor
 * profile or SELinux label means nothing on a host without them (ignored
 * with a warning), and would be a silent weakening on one with them
 * (refused: mini-run applies neither).
 */
import { existsSync, readFileSync } from 'node:fs'

export interface HostSecurity {
  apparmor: boolean
  selinux: boolean
}

export function readHostSecurity(): HostSecurity {
  let apparmor = false
  try {
    apparmor = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'
  } catch {
    // no AppArmor module
  }
  return { apparmor, selinux: existsSync('/sys/fs/selinux/enforce') }
}
