#!/usr/bin/env bash
# Rootless start-to-exit: `run --rm IMAGE /bin/true` of the busybox fixture
# as an ordinary user with /etc/subuid and /etc/subgid ranges (newuidmap and
# newgidmap map 1..65536, the layers are shifted into the range), against the
# same as root, and against rootless `podman run --rm` as the same user, with
# `node -e 0` as the floor. Interleaved rounds (each round runs every command
# once, in turn: this machine's speed drifts over minutes), medians, ratios.
#
# Podman is Debian's, with the flags this machine needs: --runtime runc
# (crun 1.8 refuses this hybrid cgroup host), --cgroup-manager cgroupfs (no
# systemd user session), --events-backend none (no journald), and
# --network none, which is mini-run's default (podman's slirp4netns would
# need /dev/net/tun). PODMAN_FLAGS adds more (e.g. an --ulimit).
#
# Needs root: it makes the user (useradd, removed at the end with its home,
# ranges and podman's pause process). usage: bench/rootless.sh [ROUNDS=30]
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
rounds=${ROUNDS:-30}
command -v podman >/dev/null || { echo "bench/rootless.sh: podman is missing (apt-get install podman)" >&2; exit 3; }
command -v newuidmap >/dev/null || { echo "bench/rootless.sh: newuidmap is missing (apt-get install uidmap)" >&2; exit 3; }

user=mrbench$$
# short and lower case: podman names an image loaded from a directory
# after its path, and its attach socket lives under $XDG_RUNTIME_DIR, whose
# path must leave room in sun_path's 108 bytes (else every attached run
# waits out conmon's 20 s timeout)
dir=/var/tmp/mrb$$
mkdir -m 755 "$dir"
cleanup() {
  # what the user still runs (podman's pause process, a conmon) ends first, by
  # pid: userdel refuses a user with processes
  local pids
  pids=$(ps -u "$user" -o pid= 2>/dev/null || true)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do ps -u "$user" >/dev/null 2>&1 || break; sleep 0.2; done
  userdel -r "$user" >/dev/null 2>&1 || true
  sed -i "/^$user:/d" /etc/subuid /etc/subgid
  rm -rf "$dir"
}
trap cleanup EXIT

useradd -m -s /bin/sh "$user"
# an explicit range, whatever useradd gave: above the ids it hands out
sed -i "/^$user:/d" /etc/subuid /etc/subgid
echo "$user:1500000000:65536" >>/etc/subuid
echo "$user:1500000000:65536" >>/etc/subgid
uid=$(id -u "$user") gid=$(id -g "$user") home=$(getent passwd "$user" | cut -d: -f6)
mkdir -m 0700 "$dir/run" && chown "$uid:$gid" "$dir/run"

# the same installed copy for root and the user (the checkout may be private)
mkdir -p "$dir/pkg/native"
cp -a package.json dist node_modules "$dir/pkg/"
cp -a native/build "$dir/pkg/native/"
cp -a rootfs-fixtures/out/busybox-oci "$dir/busybox-oci"
chmod -R a+rX "$dir/pkg" "$dir/busybox-oci"
cli=$dir/pkg/dist/mini-run.cjs
image=localhost/mini-run/busybox:latest

as_user=(setpriv --reuid "$uid" --regid "$gid" --clear-groups -- env "HOME=$home" "XDG_RUNTIME_DIR=$dir/run" "PATH=$PATH")
podman=(podman --runtime runc --cgroup-manager cgroupfs --events-backend none ${PODMAN_FLAGS:-})
"$cli" --root "$dir/root-store" --state "$dir/root-state" load -i "$dir/busybox-oci" >/dev/null
(cd / && "${as_user[@]}" "$cli" load -i "$dir/busybox-oci" >/dev/null)
(cd / && "${as_user[@]}" "${podman[@]}" load -i "$dir/busybox-oci" >/dev/null)
podman_image=$(cd / && "${as_user[@]}" "${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' | head -1)

q() { printf '%q ' "$@"; }
python3 - "$rounds" \
  "node -e 0" \
  "$(q "$cli" --root "$dir/root-store" --state "$dir/root-state" run --rm "$image" /bin/true)" \
  "$(q "${as_user[@]}" "$cli" run --rm "$image" /bin/true)" \
  "$(q "${as_user[@]}" "${podman[@]}" run --rm --network none "$podman_image" /bin/true)" <<'PY'
import shlex, statistics, subprocess, sys, time
rounds = int(sys.argv[1])
cmds = dict(zip(['node -e 0', 'rootful', 'rootless', 'podman rootless'], [shlex.split(c) for c in sys.argv[2:]]))
times = {n: [] for n in cmds}
for r in range(rounds + 3):  # 3 warm-up rounds
    for n, c in cmds.items():
        t = time.perf_counter()
        p = subprocess.run(c, cwd='/', stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode != 0: sys.exit(f'{n} failed ({p.returncode}): {p.stderr.decode()}')
        if r >= 3: times[n].append((time.perf_counter() - t) * 1000)
m = {n: statistics.median(v) for n, v in times.items()}
floor = m['node -e 0']
print(f"medians over {rounds} interleaved rounds: " + ', '.join(f'{n} {v:.1f} ms' for n, v in m.items()))
print(f"rootless / rootful: {m['rootless'] / m['rootful']:.2f}x ({(m['rootless'] - floor) / (m['rootful'] - floor):.2f}x above the node floor)")
print(f"rootless / podman rootless: {m['rootless'] / m['podman rootless']:.2f}x")
PY
