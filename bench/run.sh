#!/usr/bin/env bash
# Start-to-exit of one container running /bin/true from the busybox fixture:
# mini-run (the executable, native/build/mini-run, as installed) against runc, crun and `podman run --rm` (with crun), with
# `node -e 0` as the floor, in interleaved rounds (bench/interleave.mjs:
# each round runs every command once, in turn, so the VM's drift hits all
# alike). Then a library-level loop of 100 containers from one Node process
# against 100 `crun run`. Needs root, runc, crun and podman; prints medians
# and ratios. ROUNDS (default 40) sets the rounds.
#
# The containers get no network (mini-run and podman run with --network
# none, runc and crun's spec has no network namespace to set up), but for a
# second mini-run row on the default bridge (netavark makes it with the
# first container, the warm-up; then mini-run's own veth): the script
# re-enters itself in a network namespace of its own, so the bridge and its
# rules never reach this machine's network.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
ip link set lo up
# Node 20 parses NODE_EXTRA_CA_CERTS before a script's first line, at every
# start: 70 ms for a whole system bundle, twice `node -e 0` without it. The
# targets are measured as on a host without it (the floor and mini-run
# alike); when the caller set it, two rows more show both with it (mini-run's
# #! line keeps it from Node's start: src/registry/extra-ca-certs.ts).
ca_certs=${NODE_EXTRA_CA_CERTS:-}
unset NODE_EXTRA_CA_CERTS
out=bench/out
mkdir -p "$out"
rootfs=$(pwd)/rootfs-fixtures/out/busybox-rootfs
dir=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
chmod 755 "$dir"
bundle=$dir/bundle
# podman in a storage of its own (a network config dir of its own too: the host's CNI files, without
# their plugins, would make podman warn at every command)
. bench/lib/podman-bench.sh
podman_bench_init "$dir"
cleanup() {
  podman_bench_cleanup
  rm -rf "$dir"
}
trap cleanup EXIT

dist/mini-run.cjs --root "$dir/store" --state "$dir/state" load -i rootfs-fixtures/out/busybox-oci >/dev/null
image=localhost/mini-run/busybox:latest
# podman gets the same OCI image, in a storage of its own under $dir
id=$("${pm[@]}" pull -q oci:rootfs-fixtures/out/busybox-oci)
"${pm[@]}" tag "$id" "$image"

# An OCI bundle for runc and crun over the same rootfs (read-only root, no tty).
. bench/lib/oci-bundle.sh
oci_bundle "$bundle" "$rootfs" mini-run-bench-runc

# crun 1.8 refuses a hybrid-cgroup host (v1 controllers with a v2 mount at
# /sys/fs/cgroup/unified) unless it sees a pure v2 tree: give it, and podman
# running it, a private mount namespace with an empty tmpfs over the v2 mount.
in_v2_view() { printf '%q ' "$@"; }
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
  in_v2_view() { printf 'unshare -m sh -c %q' "mount --make-rprivate / && mount -t tmpfs none /sys/fs/cgroup/unified && exec $(printf '%q ' "$@")"; }
fi
crun_cmd=$(in_v2_view crun run -b "$bundle" bench-crun)
podman_cmd=$(in_v2_view "${pm[@]}" --runtime crun run --rm --pull never --network none \
  --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$image" /bin/true)

CA_CERTS=$ca_certs DIR=$dir BUNDLE=$bundle CRUN="$crun_cmd" PODMAN="$podman_cmd" IMAGE=$image node -e '
const e = process.env
const sh = (cmd) => ["sh", "-c", cmd]
const commands = [
  { name: "node -e 0", argv: ["node", "-e", "0"] },
  { name: "mini-run", argv: ["native/build/mini-run", "--root", `${e.DIR}/store`, "--state", `${e.DIR}/state`, "run", "--rm", "--network", "none", e.IMAGE, "/bin/true"] },
  // the script run by its own #! line (env -S ... node --) rather than by the executable (native/launcher.c)
  { name: "mini-run, #! line", argv: ["dist/mini-run.cjs", "--root", `${e.DIR}/store`, "--state", `${e.DIR}/state`, "run", "--rm", "--network", "none", e.IMAGE, "/bin/true"] },
  { name: "mini-run bridge", argv: ["native/build/mini-run", "--root", `${e.DIR}/store`, "--state", `${e.DIR}/state`, "run", "--rm", e.IMAGE, "/bin/true"] },
  { name: "runc", argv: ["runc", "run", "-b", e.BUNDLE, "bench-runc"] },
  { name: "crun", argv: sh(e.CRUN) },
  { name: "podman", argv: sh(e.PODMAN) },
]
if (e.CA_CERTS) {
  const env = { NODE_EXTRA_CA_CERTS: e.CA_CERTS }
  commands.push({ name: "node -e 0, certs", argv: commands[0].argv, env }, { name: "mini-run, certs", argv: commands[1].argv, env })
}
require("fs").writeFileSync(`${e.DIR}/commands.json`, JSON.stringify(commands))'
node bench/interleave.mjs "$dir/commands.json" "$out/run.json"
node -e '
const all = JSON.parse(require("fs").readFileSync(process.argv[1]))
const m = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.median]))
const median = (xs) => { const s = [...xs].sort((a, b) => a - b), h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2 }
// the same, paired within each round: the machine is in one phase during a round
const paired = (f) => median(all["node -e 0"].times.map((_, r) => f((name) => all[name].times[r])))
const floor = m["node -e 0"], above = m["mini-run"] - floor
console.log(`mini-run above the node floor: ${above.toFixed(1)} ms = ${(above / floor).toFixed(2)} of node -e 0 (target: at most 0.33)`)
console.log(`mini-run above the floor / crun total: ${(above / m.crun).toFixed(2)}x (target: below 1)`)
for (const k of ["crun", "runc", "podman"]) console.log(`mini-run / ${k}: ${(m["mini-run"] / m[k]).toFixed(2)}x`)
const bridge = m["mini-run bridge"] - floor
console.log(`on the default bridge: ${bridge.toFixed(1)} ms above the floor = ${(bridge / floor).toFixed(2)} of node -e 0; ${(m["mini-run bridge"] - m["mini-run"]).toFixed(1)} ms for the network; /podman (--network none) ${(m["mini-run bridge"] / m.podman).toFixed(2)}x`)
console.log(`paired by round (medians of the rounds): mini-run above the floor ${paired((t) => t("mini-run") - t("node -e 0")).toFixed(1)} ms = ${paired((t) => (t("mini-run") - t("node -e 0")) / t("node -e 0")).toFixed(2)} of node -e 0, ${paired((t) => (t("mini-run") - t("node -e 0")) / t("crun")).toFixed(2)}x crun; the executable against the script run by its #! line ${paired((t) => t("mini-run") - t("mini-run, #! line")).toFixed(1)} ms; the network ${paired((t) => t("mini-run bridge") - t("mini-run")).toFixed(1)} ms`)
if (m["mini-run, certs"] !== undefined) console.log(`with NODE_EXTRA_CA_CERTS set: node -e 0 ${m["node -e 0, certs"].toFixed(1)} ms, mini-run ${m["mini-run, certs"].toFixed(1)} ms (${(m["mini-run, certs"] / m["node -e 0, certs"]).toFixed(2)}x node -e 0)`)
' "$out/run.json"

# Library-level: 100 containers from one Node process, against 100 crun runs.
node bench/library-loop.mjs "$dir/store" 100 > "$out/library.txt"
start=$(date +%s%N)
for i in $(seq 100); do sh -c "$crun_cmd"; done
end=$(date +%s%N)
lib=$(cat "$out/library.txt")
node -e '
const lib = Number(process.argv[1]), crun = Number(process.argv[2]) / 100 / 1e6;
console.log(`library loop: mini-run ${lib.toFixed(2)} ms/container, crun ${crun.toFixed(2)} ms/container, ratio ${(lib / crun).toFixed(2)}`);
' "$lib" "$((end - start))"
