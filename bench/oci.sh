#!/usr/bin/env bash
# mini-run as an OCI runtime (issue 11), against runc and crun on the same
# bundle: create + start + delete of a container running /bin/true, in one
# hyperfine run per round with `node -e 0` as the floor; then `podman run
# --rm` with each as podman's --runtime. Needs root, hyperfine, runc, crun,
# podman. Prints medians and ratios (bench/report.mjs).
set -euo pipefail
# Containers get the default bridge network, with its NAT rules: they run in
# a network namespace of this script's own, never in this machine's.
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net bash "$0" "$@"
fi
ip link set lo up
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
runs=${RUNS:-20}
rounds=${ROUNDS:-3}
out=bench/out
mkdir -p "$out"
rootfs=$(pwd)/rootfs-fixtures/out/busybox-rootfs
work=$(mktemp -d /var/tmp/mini-run-bench-oci-XXXXXX)
bundle="$work/bundle"
cleanup() {
  for d in "$work"/state-*; do
    [ -d "$d" ] || continue
    for c in "$d"/*; do [ -e "$c" ] && { runc --root "$d" delete -f "$(basename "$c")" || dist/mini-run.cjs oci --root "$d" delete -f "$(basename "$c")"; } >/dev/null 2>&1; done
  done
  for m in $(awk -v p="$work" 'index($5,p)==1 {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m"; done
  rm -rf "$work"
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/*/process_api/*/; do rmdir "$h"mini-run-bench-oci 2>/dev/null || true; done
}
trap cleanup EXIT

. bench/lib/oci-bundle.sh
oci_bundle "$bundle" "$rootfs" mini-run-bench-oci

cycle() { # runtime-command state-dir: create, start, delete --force of one container
  echo "$1 --root $work/state-$2 create --bundle $bundle c >/dev/null && $1 --root $work/state-$2 start c && $1 --root $work/state-$2 delete --force c"
}
# crun 1.8 refuses this hybrid-cgroup host unless it sees a pure v2 tree:
# a private mount namespace with an empty tmpfs over the v2 mount (as bench/run.sh)
crun_cycle="$(cycle crun crun)"
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
  crun_cycle="unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs none /sys/fs/cgroup/unified && $(cycle crun crun)'"
fi

for r in $(seq "$rounds"); do
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/oci-$r.json" \
    -n 'node -e 0' 'node -e 0' \
    -n mini-run "sh -c '$(cycle "$(pwd)/dist/mini-run.cjs" mini-run)'" \
    -n runc "sh -c '$(cycle runc runc)'" \
    -n crun "sh -c \"$crun_cycle\"" >/dev/null
done
echo "create + start + delete of /bin/true: three runtime invocations, so three Node starts (the floor, node -e 0) for mini-run"
node -e '
const fs = require("fs")
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const rounds = process.argv.slice(1).map((f) => Object.fromEntries(JSON.parse(fs.readFileSync(f, "utf8")).results.map((r) => [r.command, r.median * 1000])))
for (const [i, r] of rounds.entries()) {
  const above = r["mini-run"] - 3 * r["node -e 0"]
  console.log(`round ${i + 1}: ${Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")} ms; mini-run above three floors ${above.toFixed(1)} ms = ${(above / r.runc).toFixed(2)}x runc, ${(above / r.crun).toFixed(2)}x crun`)
}
const m = (k) => median(rounds.map((r) => r[k]))
const above = median(rounds.map((r) => r["mini-run"] - 3 * r["node -e 0"]))
console.log(`medians: ${["node -e 0", "mini-run", "runc", "crun"].map((k) => `${k} ${m(k).toFixed(1)} ms`).join(", ")}; mini-run above three floors ${above.toFixed(1)} ms = ${(above / m("runc")).toFixed(2)}x runc, ${(above / m("crun")).toFixed(2)}x crun`)
' $(seq -f "$out/oci-%g.json" "$rounds")

podman_run() {
  echo "podman --runtime $1 --cgroup-manager cgroupfs --events-backend none --root $work/podman --runroot $work/podman-run --tmpdir $work/podman-tmp --network-config-dir $work/podman-net run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --rootfs $rootfs /bin/true"
}
# crun 1.8 refuses a hybrid host under podman too: it is left out there
crun_podman=()
grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo || crun_podman=(-n crun "$(podman_run /usr/bin/crun)")
hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/oci-podman.json" \
  -n mini-run "$(podman_run "$(pwd)/dist/mini-run.cjs")" \
  -n runc "$(podman_run /usr/sbin/runc)" "${crun_podman[@]}" >/dev/null
node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
const ms = Object.fromEntries(results.map((r) => [r.command, r.median * 1000]))
console.log(`podman run --rm: ${Object.entries(ms).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ")}`)
console.log(`mini-run / runc: ${(ms["mini-run"] / ms.runc).toFixed(2)}x` + (ms.crun ? `, mini-run / crun: ${(ms["mini-run"] / ms.crun).toFixed(2)}x` : ""))
' "$out/oci-podman.json"
