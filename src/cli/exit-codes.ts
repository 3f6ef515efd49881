/** mini-run's own failure, as Docker's CLI exits (the container's codes: runtime/process/exit-status.ts). */
export const EXIT_RUNTIME_ERROR = 125
