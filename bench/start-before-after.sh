#!/usr/bin/env bash
# A change's cost at start: `run --rm IMAGE /bin/true` of two builds of
# mini-run (BEFORE: another checkout, built; this one: AFTER) with `node -e 0`
# as the floor, in interleaved rounds (each round runs every command once,
# in turn), medians, with --network none (no bridge in the host's netns). Needs root. usage: bench/start-before-after.sh DIR_OF_OLD_CHECKOUT
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
old=${1:?give the directory of the older checkout, built}
rounds=${ROUNDS:-40}
dir=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
dist/mini-run.cjs --root "$dir/new" --state "$dir/new-state" load -i rootfs-fixtures/out/busybox-oci >/dev/null
"$old/dist/mini-run.cjs" --root "$dir/old" --state "$dir/old-state" load -i rootfs-fixtures/out/busybox-oci >/dev/null
python3 - "$rounds" "node -e 0" \
  "$old/dist/mini-run.cjs --root $dir/old --state $dir/old-state run --rm --network none localhost/mini-run/busybox /bin/true" \
  "dist/mini-run.cjs --root $dir/new --state $dir/new-state run --rm --network none localhost/mini-run/busybox /bin/true" <<'PY'
import statistics, subprocess, sys, time
rounds = int(sys.argv[1]); names = ['node -e 0', 'before', 'after']; cmds = sys.argv[2:]
times = {n: [] for n in names}
# The two builds swap places every round: a mini-run run right behind
# another pays for the first one's teardown that the kernel does after it
# exits (its memory, its network namespace), 1-2 ms, so a fixed order
# makes the second build look slower than it is.
for r in range(rounds + 3):
    order = [0, 1, 2] if r % 2 == 0 else [0, 2, 1]
    for n, c in [(names[i], cmds[i]) for i in order]:
        t = time.perf_counter()
        p = subprocess.run(c, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode != 0: sys.exit(f'{n} failed: {p.stderr.decode()}')
        if r >= 3: times[n].append((time.perf_counter() - t) * 1000)
m = {n: statistics.median(v) for n, v in times.items()}
floor = m['node -e 0']
print(f"medians over {rounds} interleaved rounds: node -e 0 {floor:.1f} ms, before {m['before']:.1f} ms, after {m['after']:.1f} ms")
print(f"above the floor: before {m['before'] - floor:.1f} ms, after {m['after'] - floor:.1f} ms; after/before {(m['after'] - floor) / (m['before'] - floor):.2f}x")
PY
