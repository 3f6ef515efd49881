/** Docker's exit codes for `run`: the container's own, or these. */
export const EXIT_RUNTIME_ERROR = 125
export const EXIT_CANNOT_EXECUTE = 126
export const EXIT_NOT_FOUND = 127
/** 128 + N when the process was killed by signal N. */
export const EXIT_SIGNAL_BASE = 128
