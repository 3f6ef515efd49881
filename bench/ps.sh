#!/usr/bin/env bash
# Issue 15's benchmark: `ps` and `ps --format` with 100 idle detached
# containers, against `podman ps` with 100 idle containers of its own, in
# one hyperfine run (the machine's drift hits all four alike). Needs root,
# hyperfine and podman; prints medians and ratios. Target: faster than podman.
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
n=${N:-100}
out=bench/out
mkdir -p "$out"
dir=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
chmod 755 "$dir"
mr="dist/mini-run.cjs --root $dir/store --state $dir/state"
# runc: crun refuses a hybrid host's cgroups ("drop all controllers from cgroupv2")
pm="podman --runtime runc --root $dir/podman --runroot $dir/podman-run --network-config-dir $dir/podman-net --cgroup-manager cgroupfs --events-backend none"
cleanup() {
  $mr ps -a -q 2>/dev/null | xargs -r $mr rm -f >/dev/null 2>&1 || true
  $pm rm -a -f -t 0 >/dev/null 2>&1 || true
  $pm system reset -f >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
$mr load -i rootfs-fixtures/out/busybox-oci >/dev/null
image=localhost/mini-run/busybox:latest
tar -C rootfs-fixtures/out/busybox-rootfs -cf "$dir/rootfs.tar" .
$pm import -q "$dir/rootfs.tar" localhost/bench/busybox:latest >/dev/null
for i in $(seq "$n"); do
  $mr run -d --name "mr$i" "$image" sleep 3600 >/dev/null
  # podman raises nofile and nproc past what a sandbox may allow: ask for less
  $pm run -d --name "pm$i" --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/bench/busybox:latest sleep 3600 >/dev/null
done
fmt='{{.ID}} {{.Names}} {{.Status}}'
hyperfine -N --warmup 2 --runs "${RUNS:-20}" --export-json "$out/ps.json" \
  -n "mini-run ps" "$mr ps" \
  -n "podman ps" "$pm ps" \
  -n "mini-run ps --format" "$mr ps --format '$fmt'" \
  -n "podman ps --format" "$pm ps --format '$fmt'" >/dev/null
node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1]));
const m = Object.fromEntries(results.map((r) => [r.command, r.median * 1000]));
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(22)} median ${v.toFixed(1)} ms`);
console.log(`ps: mini-run / podman = ${(m["mini-run ps"] / m["podman ps"]).toFixed(2)}x`);
console.log(`ps --format: mini-run / podman = ${(m["mini-run ps --format"] / m["podman ps --format"]).toFixed(2)}x`);
' "$out/ps.json"
