#!/usr/bin/env bash
# Start-to-exit of one container running /bin/true: mini-run against runc and
# crun on the same busybox rootfs, with `node -e 0` as the floor, in one
# hyperfine run. Then a library-level loop of 100 containers from one Node
# process against 100 `crun run`. Needs root; prints medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-20}
out=bench/out
mkdir -p "$out"
rootfs=$(pwd)/rootfs-fixtures/out/busybox-rootfs
store=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
bundle=$(mktemp -d /var/tmp/mini-run-bench-bundle-XXXXXX)
cleanup() { rm -rf "$store" "$bundle"; }
trap cleanup EXIT

node -e '
const { ImageStore } = await import("./dist/image/store.js");
const { loadArchive } = await import("./dist/image/load-archive.js");
await loadArchive(new ImageStore({ root: process.argv[1] }), "rootfs-fixtures/out/busybox-oci", { name: "localhost/bench/busybox:latest" });
' "$store" --input-type=module

# An OCI bundle for runc and crun over the same rootfs (read-only root, no tty).
mkdir -p "$bundle"
(cd "$bundle" && runc spec && ROOTFS="$rootfs" node -e '
const fs = require("fs"); const c = JSON.parse(fs.readFileSync("config.json"));
c.process.terminal = false; c.process.args = ["/bin/true"];
c.root = { path: process.env.ROOTFS, readonly: true };
// relative: runc nests it under its own cgroup
c.linux.cgroupsPath = "mini-run-bench-runc";
fs.writeFileSync("config.json", JSON.stringify(c, null, 2));')

# crun 1.8 refuses this hybrid-cgroup host unless it sees a pure v2 tree:
# give it a private mount namespace with an empty tmpfs over the v2 mount.
crun_cmd="unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs none /sys/fs/cgroup/unified && exec crun run -b $bundle bench-crun-\$\$ >/dev/null'"
if ! grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
  crun_cmd="crun run -b $bundle bench-crun-\$\$ >/dev/null"
fi

# Several rounds, each one hyperfine run of all four: this VM's speed drifts
# over minutes, and hyperfine runs each command's batch in turn, so one
# round can catch the floor in a fast phase and mini-run in a slow one.
# The report gives each round's ratios and their median.
rounds=${ROUNDS:-5}
for r in $(seq "$rounds"); do
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/run-$r.json" \
    -n 'node -e 0' 'node -e 0' \
    -n mini-run "dist/mini-run.cjs --root $store run --rm localhost/bench/busybox /bin/true" \
    -n runc "runc run -b $bundle bench-runc" \
    -n crun "sh -c \"$crun_cmd\"" >/dev/null
done

node bench/report.mjs $(seq -f "$out/run-%g.json" "$rounds")

# Library-level: 100 containers from one Node process, against 100 crun runs.
node bench/library-loop.mjs "$store" 100 > "$out/library.txt"
start=$(date +%s%N)
for i in $(seq 100); do sh -c "$crun_cmd"; done
end=$(date +%s%N)
lib=$(cat "$out/library.txt")
node -e '
const lib = Number(process.argv[1]), crun = Number(process.argv[2]) / 100 / 1e6;
console.log(`library loop: mini-run ${lib.toFixed(2)} ms/container, crun ${crun.toFixed(2)} ms/container, ratio ${(lib / crun).toFixed(2)}`);
' "$lib" "$((end - start))"
