#!/usr/bin/env bash
# The cost of a container's network, and what goes through it.
#
# 1. Setup + teardown per container: `run --rm` on the default bridge minus
#    `run --rm --network none`, for mini-run and for podman (Debian's, which
#    drives the same netavark), both on the busybox rootfs (--rootfs, so no
#    image store is timed). Rounds interleave the four commands; medians.
# 2. Throughput host -> container through -p (iperf3 in a container,
#    127.0.0.1:PORT DNAT'ed to it) against iperf3 over the loopback.
# 3. The same through pasta, for a rootless container (nobody).
#
# Everything runs in a network namespace of its own (the script re-enters
# itself under unshare), so no bridge or rule reaches this machine's network.
# Needs root, podman, iperf3, passt. ROUNDS (default 7) x RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
ip link set lo up
rounds=${ROUNDS:-7}
runs=${RUNS:-5}
work=$(mktemp -d /var/tmp/mini-run-bench-net-XXXXXX)
cleanup() {
  # daemons started in here: by pid
  for f in "$work"/state/network/aardvark-dns/aardvark.pid "$work"/iperf.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  dist/mini-run.cjs --state "$work/state" rm -f $(dist/mini-run.cjs --state "$work/state" ps -a -q) >/dev/null 2>&1 || true
  podman --root "$work/podman" --runroot "$work/podman-run" rm -af >/dev/null 2>&1 || true
  umount -R "$work/podman" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
rootfs=$(pwd)/rootfs-fixtures/out/busybox-rootfs
mr="dist/mini-run.cjs --root $work/store --state $work/state"
pm="podman --root $work/podman --runroot $work/podman-run --runtime runc --cgroup-manager cgroupfs --events-backend none"
pmrun="run --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; e=$(date +%s%N); echo $(((e - s) / 1000)); }

declare -A samples
for cmd in mr_bridge mr_none pm_bridge pm_none; do samples[$cmd]=""; done
# warm up: first runs make the bridges' scaffolding and podman's storage
$mr run --rm --rootfs "$rootfs" true
$pm $pmrun --rootfs "$rootfs" true
for r in $(seq "$rounds"); do
  for i in $(seq "$runs"); do
    samples[mr_bridge]+=" $(ms $mr run --rm --rootfs "$rootfs" true)"
    samples[mr_none]+=" $(ms $mr run --rm --network none --rootfs "$rootfs" true)"
    samples[pm_bridge]+=" $(ms $pm $pmrun --network bridge --rootfs "$rootfs" true)"
    samples[pm_none]+=" $(ms $pm $pmrun --network none --rootfs "$rootfs" true)"
  done
done
node -e '
const median = (xs) => { const s = xs.map(Number).sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const [mb, mn, pb, pn] = process.argv.slice(1).map((s) => median(s.trim().split(/\s+/)) / 1000)
console.log(`run --rm, medians of ${process.argv[1].trim().split(/\s+/).length}: mini-run bridge ${mb.toFixed(1)} ms, none ${mn.toFixed(1)} ms; podman bridge ${pb.toFixed(1)} ms, none ${pn.toFixed(1)} ms`)
console.log(`network setup + teardown per container: mini-run ${(mb - mn).toFixed(1)} ms, podman ${(pb - pn).toFixed(1)} ms, ratio ${((mb - mn) / (pb - pn)).toFixed(2)}x podman`)
' "${samples[mr_bridge]}" "${samples[mr_none]}" "${samples[pm_bridge]}" "${samples[pm_none]}"

# --- throughput: a rootfs with iperf3 and its libraries --------------------
perf=$work/iperf-rootfs
cp -a "$rootfs" "$perf"
for f in /usr/bin/iperf3 $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do
  mkdir -p "$perf$(dirname "$f")"
  cp -L "$f" "$perf$f"
done
mbps() { node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log((j.end.sum_received.bits_per_second / 1e6).toFixed(0))'; }
iperf3 -s -1 -B 127.0.0.1 -p 5301 -D -I "$work/iperf.pid"
sleep 0.3
loop=$(iperf3 -c 127.0.0.1 -p 5301 -t 5 -J | mbps)
id=$($mr run -d -p 5302:5201 --rootfs "$perf" iperf3 -s -1)
for _ in $(seq 50); do iperf3 -c 127.0.0.1 -p 5302 -t 1 -J >/dev/null 2>&1 && break; sleep 0.1; done
$mr rm -f "$id" >/dev/null
id=$($mr run -d -p 5302:5201 --rootfs "$perf" iperf3 -s)
sleep 0.5
viap=$(iperf3 -c 127.0.0.1 -p 5302 -t 5 -J | mbps)
$mr rm -f "$id" >/dev/null
echo "iperf3 host -> container: loopback ${loop} Mbit/s, through -p (rootful) ${viap} Mbit/s, ratio $(node -e "console.log(($viap / $loop).toFixed(2))")x"

# --- rootless: pasta, as nobody ---------------------------------------------
# pasta copies the host's outside interface: a veth stands in for it, and
# /dev/net/tun is opened for all, as Debian's udev leaves it
ip link add mr-outside type veth peer name mr-outside-peer
ip addr add 198.51.100.2/24 dev mr-outside
ip link set mr-outside up && ip link set mr-outside-peer up
ip route add default via 198.51.100.1
mknod "$work/tun" c 10 200 && chmod 666 "$work/tun" && mount --bind "$work/tun" /dev/net/tun
chmod 755 "$work"
chown -R 65534:65534 "$perf"
mkdir -m 777 "$work/nobody"
nb="setpriv --reuid 65534 --regid 65534 --clear-groups env HOME=$work/nobody PATH=$(dirname "$(command -v node)"):/usr/bin:/bin $(pwd)/dist/mini-run.cjs --root $work/nobody/r --state $work/nobody/s"
if id=$($nb run -d -p 127.0.0.1:5303:5201 --rootfs "$perf" iperf3 -s 2>"$work/rootless.err"); then
  sleep 0.5
  rl=$(iperf3 -c 127.0.0.1 -p 5303 -t 5 -J | mbps)
  $nb rm -f "$id" >/dev/null
  echo "iperf3 host -> rootless container through pasta: ${rl} Mbit/s, ratio $(node -e "console.log(($rl / $loop).toFixed(2))")x loopback"
else
  echo "rootless: $(cat "$work/rootless.err")"
fi
