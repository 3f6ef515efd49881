#!/usr/bin/env bash
# What a start costs in system calls, not in time: `strace -f -c` of one
# start-to-exit of /bin/true from the busybox fixture, every process and
# thread counted, for `node -e 0` (the floor), mini-run (--network none, and
# on the default bridge once it is up), runc and crun. Counts, not timings:
# strace slows every call down, so its times say nothing; the counts say
# where a start does its work (Node's own start is most of mini-run's).
# Each command runs RUNS times (default 3) after a warm-up; the median count
# is printed, with the calls that differ most from node -e 0's.
#
# Runs in a network namespace of its own (re-entered under unshare), so the
# default bridge and its rules never reach this machine's network. Needs
# root, strace, runc, crun.
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
ip link set lo up
runs=${RUNS:-3}
rootfs=$(pwd)/rootfs-fixtures/out/busybox-rootfs
dir=$(mktemp -d /var/tmp/mini-run-bench-sys-XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
dist/mini-run.cjs --root "$dir/store" --state "$dir/state" load -i rootfs-fixtures/out/busybox-oci >/dev/null
image=localhost/mini-run/busybox:latest
bundle=$dir/bundle
. bench/lib/oci-bundle.sh
oci_bundle "$bundle" "$rootfs" mini-run-bench-sys
# crun 1.8 refuses a hybrid-cgroup host unless it sees a pure v2 tree (see bench/run.sh):
# there its count includes that wrapper (unshare, sh, mount: about 150 calls)
v2view=()
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then v2view=(unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs none /sys/fs/cgroup/unified && exec "$@"' sh); fi
mr=(dist/mini-run.cjs --root "$dir/store" --state "$dir/state" run --rm)
# the default bridge's first container makes it (netavark); the ones counted use mini-run's own veth
"${mr[@]}" "$image" /bin/true

count() { # name, command...: the median of RUNS counts; writes the last run's table to $dir/<name>.txt
  local name=$1; shift
  "$@" >/dev/null 2>&1 || true
  local totals=()
  for _ in $(seq "$runs"); do
    strace -f -c -o "$dir/$name.txt" "$@" >/dev/null 2>&1
    totals+=("$(awk '$NF == "total" {print $4}' "$dir/$name.txt")")
  done
  printf '%s\n' "${totals[@]}" | sort -n | awk -v n="$name" '{a[NR]=$1} END {printf "%-26s %6d calls\n", n, a[int((NR+1)/2)]}'
}
count node node -e 0
count mini-run "${mr[@]}" --network none "$image" /bin/true
count mini-run-bridge "${mr[@]}" "$image" /bin/true
count runc runc run -b "$bundle" bench-sys-runc
count crun "${v2view[@]}" crun run -b "$bundle" bench-sys-crun
# the calls mini-run makes beyond Node's own start
node -e '
const read = (f) => Object.fromEntries(require("fs").readFileSync(f, "utf8").split("\n")
  .map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5 && /^\d+$/.test(f[3]) && f[f.length - 1] !== "total")
  .map((f) => [f[f.length - 1], Number(f[3])]))
const node = read(process.argv[1]), mr = read(process.argv[2])
const diff = Object.entries(mr).map(([k, v]) => [k, v - (node[k] ?? 0)]).filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]).slice(0, 12)
console.log("mini-run (--network none) beyond node -e 0: " + diff.map(([k, d]) => `${k} +${d}`).join(", "))
' "$dir/node.txt" "$dir/mini-run.txt"
