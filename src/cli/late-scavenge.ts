/**
 * A foreground run without a scavenge (the launcher's, launcher.cts).
 *
 * V8's young generation (a 1 MB semi-space) takes what a run allocates, and
 * once it is 80% full V8 posts a scavenge as a task, which runs at the event
 * loop's next turn: for a run with --network none, the wait for the
 * container's exec. It took 2-3 ms of the JS thread (the bundle's closures,
 * the spec and the plan copied into fresh pages), which the child's work did
 * not hide. Posted at 90% instead, the task is never posted in such a run,
 * which ends first (README, Start-up, twenty-sixth round). A run that
 * allocates more (the default bridge's, ~1.1 MB) passes 90% before one of
 * its waits and gets its scavenge there, as before; with the task turned off
 * altogether it came when the space was full, whatever the run was doing.
 *
 * The trigger is a V8 flag (--minor-gc-task-trigger), set through the
 * launcher's addon (native/map-file.c's v8Flag, which calls V8's own
 * SetFlagsFromString). Any V8 flag is part of V8's flag hash, which every
 * code cache is checked against: Node's own, for its builtins, and the
 * bundles'. So the trigger moves only after the bundle is compiled and its
 * top level has run (it loaded the builtins it names), only when the run will
 * write no code cache of that bundle, and only on V8 11 (Node 20), whose
 * default (80) is the one put back. It goes back before anything might
 * compile: before the bundle requires an id it has not required yet
 * (child_process for netavark, a pull's bundle), before process.stdout or
 * process.stderr is first made (Node loads its stream modules then: an error
 * line, -t), before another bundle runs (the runc command line the run
 * bundle hands on) and before a code cache is written.
 */
type Require = (id: string) => unknown

/** The addon's call for one V8 flag (native/map-file.c). */
export interface V8Flags {
  v8Flag(flag: string): void
}

const LATE = '--minor-gc-task-trigger=90'
/** V8 11's default: the flag hash as it was */
const DEFAULT = '--minor-gc-task-trigger=80'

let putBack: (() => void) | undefined

/** V8's default trigger back, if a run moved it: before anything compiles. */
export function defaultScavengeTask(): void {
  const back = putBack
  putBack = undefined
  back?.()
}

/**
 * A require for the bundle that puts the default back first when the id
 * is new, and start(), which moves the trigger; undefined where it must not
 * move: no addon call (another engine, an older addon), another V8, or V8
 * flags of the caller's own (node's options or NODE_OPTIONS, given before
 * the launcher ran), which the default put back would overwrite.
 */
export function lateScavenge(flags: Partial<V8Flags> | undefined, require: Require, callerFlags: boolean): { require: Require; start(): void } | undefined {
  const v8Flag = flags?.v8Flag
  if (typeof v8Flag !== 'function') return undefined
  if (!process.versions.v8.startsWith('11.') || callerFlags) return undefined
  const required = new Set<string>()
  const bundleRequire = (id: string) => {
    if (!required.has(id)) {
      required.add(id)
      defaultScavengeTask()
    }
    return require(id)
  }
  return {
    require: bundleRequire,
    start() {
      putBack = () => v8Flag(DEFAULT)
      v8Flag(LATE)
      // Node makes these streams on first use, loading its stream modules
      for (const name of ['stdout', 'stderr'] as const) {
        const made = Object.getOwnPropertyDescriptor(process, name)
        if (!made?.get || !made.configurable) continue
        Object.defineProperty(process, name, {
          configurable: true,
          enumerable: made.enumerable ?? false,
          get() {
            Object.defineProperty(process, name, made)
            defaultScavengeTask()
            return made.get!.call(process) as NodeJS.WriteStream
          },
        })
      }
    },
  }
}
