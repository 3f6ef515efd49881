// The exit codes of mini-run's own failures, by verb (src/cli/exit-codes.ts):
// Docker's CLI's, without root. test/cli-exit-codes.test.ts runs them through the CLI.
import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import { errorExitCode, FlagValueError, usageErrorExitCode, verbErrorExitCode } from '../src/cli/exit-codes.js'

describe('exit codes by verb', () => {
  it('125 for run and create (under container too), 1 for every other verb and for none', () => {
    const codes = Object.fromEntries([['run'], ['create'], ['container', 'run'], ['container', 'create'], ['exec'], ['logs'], ['container', 'ls'], ['compose', 'run'], ['compose', 'create'], ['network', 'create'], ['build'], []].map((v) => [v.join(' '), verbErrorExitCode(v)]))
    expect(codes).toEqual({
      run: 125, create: 125, 'container run': 125, 'container create': 125,
      exec: 1, logs: 1, 'container ls': 1, 'compose run': 1, 'compose create': 1, 'network create': 1, build: 1, '': 1,
    })
  })

  it('a flag commander cannot parse is 125 for every verb but compose; a missing argument or unknown command is 1', () => {
    const flagErrors = ['commander.unknownOption', 'commander.optionMissingArgument', 'commander.invalidArgument', 'commander.missingMandatoryOptionValue', 'commander.conflictingOption']
    for (const code of flagErrors) {
      expect({ code, ps: usageErrorExitCode(code, ['ps']), run: usageErrorExitCode(code, ['run']), compose: usageErrorExitCode(code, ['compose']) }).toEqual({ code, ps: 125, run: 125, compose: 1 })
    }
    for (const code of ['commander.missingArgument', 'commander.excessArguments', 'commander.unknownCommand']) {
      expect({ code, rm: usageErrorExitCode(code, ['rm']), none: usageErrorExitCode(code, []) }).toEqual({ code, rm: 1, none: 1 })
    }
  })

  it('an error that knows its code keeps it; a flag value Docker\'s flag library refuses is 125 (1 under compose)', () => {
    expect(errorExitCode(Object.assign(new Error('exec'), { exitCode: 127 }), ['exec'])).toBe(127)
    expect(errorExitCode(new UsageError('no such container: x'), ['exec'])).toBe(1)
    expect(errorExitCode(new UsageError('bad'), ['run'])).toBe(125)
    expect(errorExitCode(new FlagValueError('invalid --time "x"'), ['stop'])).toBe(125)
    expect(errorExitCode(new FlagValueError('invalid --timeout "x"'), ['compose', 'stop'])).toBe(1)
    expect(errorExitCode('a string thrown', ['ps'])).toBe(1)
    expect(errorExitCode(null, ['run'])).toBe(125)
  })
})
