/**
 * A step of the start sequence failed in the child: reported as data (its
 * index and errno) on the report pipe, and named here from the plan.
 */
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import { describeFailure, describeStep } from '../plan/child-kinds.js'
import { STEP_TRAMPOLINE } from '../plan/step-codes.js'
import type { ChildStep } from '../plan/steps.js'

/**
 * The step as its user knows it: a path inside the container as the
 * container names it (/scratch), not where the runtime reached it (the
 * store's containers/<id>/rootfs/scratch).
 */
function userWords(step: ChildStep): string {
  return 'root' in step && step.root !== undefined ? describeStep({ ...step, root: undefined } as ChildStep) : describeStep(step)
}

export class StepError extends MiniRunError {
  override name = 'StepError'
  readonly step: ChildStep | undefined
  readonly index: number
  readonly total: number
  readonly errno: number
  /** The runtime's words: the full path and the step's place in the plan (`--log-level debug` prints these). */
  readonly detail: string
  constructor(steps: readonly ChildStep[], index: number, errno: number) {
    const step = index === STEP_TRAMPOLINE ? undefined : steps[index]
    const where = step ? ` (step ${index + 1} of ${steps.length})` : ''
    const own = step && describeFailure(step, native.errnoName(errno))
    super(own ?? `${step ? userWords(step) : 'start the stage program'}: ${native.strerror(errno)}`, { code: native.errnoName(errno) })
    this.detail = `${step ? describeStep(step) : 'start the stage program'}: ${native.strerror(errno)}${where}`
    this.step = step
    this.index = index
    this.total = steps.length
    this.errno = errno
  }
}
