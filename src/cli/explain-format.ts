/**
 * --explain (text) or --explain=json. commander gives an option with an
 * optional value the next word, so `--explain IMAGE` arrives as a value:
 * it goes back to the front of the positional arguments.
 */
export function explainFormat(value: string | boolean | undefined, positional: string[]): 'text' | 'json' | undefined {
  if (value === undefined || value === false) return undefined
  if (value === 'json') return 'json'
  if (value !== true && value !== 'text') positional.unshift(value)
  return 'text'
}
