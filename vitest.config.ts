import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * Vitest's order, with the kernel-feature tests last: when .ci/run has
 * started their VM beside the suite (test/vm-kernel.test.ts), the file only
 * waits for its result, which is long there by the suite's end.
 */
class KernelTestsLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const last = (f: TestSpecification) => f.moduleId.endsWith('/test/vm-kernel.test.ts')
    return [...sorted.filter((f) => !last(f)), ...sorted.filter(last)]
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    exclude: ['test/vm/**'],
    setupFiles: ['test/helpers/file-netns.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: KernelTestsLast },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
