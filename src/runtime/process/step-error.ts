/**
 * A step of the start sequence failed in the child: reported as data (its
 * index and errno) on the report pipe, and named here from the plan.
 */
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import { describeStep } from '../plan/child-kinds.js'
import { STEP_TRAMPOLINE } from '../plan/step-codes.js'
import type { ChildStep } from '../plan/steps.js'

export class StepError extends MiniRunError {
  readonly step: ChildStep | undefined
  readonly index: number
  readonly total: number
  readonly errno: number
  constructor(steps: readonly ChildStep[], index: number, errno: number) {
    const step = index === STEP_TRAMPOLINE ? undefined : steps[index]
    const what = step ? describeStep(step) : 'start the stage program'
    const where = step ? ` (step ${index + 1} of ${steps.length})` : ''
    super(`${what}: ${native.strerror(errno)}${where}`, { code: native.errnoName(errno) })
    this.step = step
    this.index = index
    this.total = steps.length
    this.errno = errno
  }
}
