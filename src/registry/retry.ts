/**
 * When and how long to wait before trying a request again: 429 and 5xx
 * answers and broken connections, with exponential backoff and jitter, and
 * the server's Retry-After when it gives one.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface RetryOptions {
  /** Tries in all, the first included. Default 5. */
  attempts?: number
  /** Wait before the second try; doubled for each next one. Default 500 ms. */
  baseDelayMs?: number
  /** No wait is longer, Retry-After included. Default 30 s. */
  maxDelayMs?: number
}

export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status) || (status >= 500 && status !== 501 && status !== 505)
}

/** Seconds or an HTTP date (RFC 9110 section 10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

export class Backoff {
  readonly attempts: number
  private readonly base: number
  private readonly max: number
  private tries = 1

  constructor(options: RetryOptions = {}) {
    this.attempts = options.attempts ?? 5
    this.base = options.baseDelayMs ?? 500
    this.max = options.maxDelayMs ?? 30_000
  }

  /** True while another try is allowed. */
  get canRetry(): boolean {
    return this.tries < this.attempts
  }

  /** The wait before the next try: full jitter on base * 2^n, or the server's Retry-After. */
  nextDelay(retryAfterMs?: number): number {
    const exp = this.base * 2 ** (this.tries - 1)
    this.tries++
    const delay = retryAfterMs ?? exp / 2 + Math.random() * (exp / 2)
    return Math.min(delay, this.max)
  }

  async wait(signal?: AbortSignal, retryAfterMs?: number): Promise<void> {
    await sleep(this.nextDelay(retryAfterMs), undefined, signal ? { signal } : {})
  }

  /** Start counting again, e.g. after a blob made progress before its connection broke. */
  reset(): void {
    this.tries = 1
  }
}
