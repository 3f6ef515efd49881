// The kernel-feature tests: run inside the VM by test/vm/run-vm.sh (from
// test/vm-kernel.test.ts), or directly on a machine that already has a pure
// cgroup v2 hierarchy (the Vagrantfile's VM). Not part of `vitest run`'s
// default config: on a hybrid host they cannot pass.
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/vm/**/*.vmtest.ts'],
    // dist/ is built by the host (or by `npm install`): no globalSetup here,
    // building under emulation would take minutes.
    // Tests share the kernel's cgroup tree: one file at a time.
    fileParallelism: false,
    // Node starts about 6x slower under TCG than on the host.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
