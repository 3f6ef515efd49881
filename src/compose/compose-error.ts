/**
 * An error in a compose file: one line naming the file and the path in it,
 * as compose-go reports them (`compose.yaml: services.web.ports[0]: ...`).
 */
import { MiniRunError } from '../errors.js'

export type PathSegment = string | number

/** services.web.ports[0] */
export function pathText(path: readonly PathSegment[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out
}

export class ComposeError extends MiniRunError {
  override name = 'ComposeError'
  constructor(
    readonly file: string,
    readonly path: readonly PathSegment[],
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${file}: ${path.length ? `${pathText(path)}: ` : ''}${detail}`, { code: 'ECOMPOSE', ...options })
  }
}

/** Where a value is in a file: errors made from it name the file and the path. */
export class At {
  constructor(
    readonly file: string,
    readonly path: readonly PathSegment[] = [],
  ) {}

  at(...more: PathSegment[]): At {
    return new At(this.file, [...this.path, ...more])
  }

  error(detail: string, cause?: unknown): ComposeError {
    return new ComposeError(this.file, this.path, detail, cause === undefined ? {} : { cause })
  }

  toString(): string {
    return pathText(this.path)
  }
}
