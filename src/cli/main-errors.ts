/**
 * Commander's usage errors as Docker's CLI words them: two lines, what is
 * wrong and where the help is, never the whole usage.
 */
export function dockerUsageError(message: string, path: string): string {
  const text = message.replace(/^error: /, '').trim()
  let m: RegExpExecArray | null
  let line: string
  if ((m = /^unknown option '(--?)([^']*)'/.exec(text))) line = m[1] === '--' ? `unknown flag: --${m[2]}` : `unknown shorthand flag: '${m[2]!.slice(0, 1)}' in -${m[2]}`
  else if ((m = /^option '(?:-(\w), )?(--[\w-]+)[^']*' argument missing/.exec(text))) line = `flag needs an argument: ${m[1] ? `'${m[1]}' in -${m[1]}` : m[2]}`
  else if (/^missing required argument/.test(text)) line = `"${path}" requires at least 1 argument.`
  else if ((m = /^too many arguments(?: for '[^']*')?\. Expected (\d+) arguments? but got \d+\./.exec(text))) line = `"${path}" requires ${m[1] === '0' ? 'no arguments' : `at most ${m[1]} argument${m[1] === '1' ? '' : 's'}`}.`
  else if ((m = /^unknown command '([^']*)'/.exec(text))) line = `unknown command: ${m[1]}`
  else line = text
  return `${line}\nSee '${path} --help'.\n`
}
