/** Go's strconv.ParseBool, which Docker's flags, filters and environment variables are read with. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

/** true, false, or undefined for anything else (ParseBool's error). */
export function parseBoolValue(text: string): boolean | undefined {
  return TRUE.has(text) ? true : FALSE.has(text) ? false : undefined
}

/** docker compose's utils.StringToBool, which its COMPOSE_* variables are read with: trimmed, any case, "y" too; else false. */
export function stringToBool(text: string): boolean {
  const t = text.trim().toLowerCase()
  return t === 'y' || parseBoolValue(t) === true
}
