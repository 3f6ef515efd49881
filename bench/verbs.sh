#!/usr/bin/env bash
# The daily verbs other than a foreground run and the listings: each runs
# from a bundle of its own (src/cli/verb-main.ts). mini-run (the executable,
# as installed) against `node -e 0` and podman's same verb, on a running
# container of each, in interleaved rounds (bench/interleave.mjs); with OLD
# set to another checkout's directory (built), that build's rows too, for a
# before and after in one run. Also `internal cleanup`, what a detached
# container's monitor runs once it has exited (of no container: its start
# and its load), and a detached container's whole life: `run -d IMAGE true`
# then `rm -f` (which waits for that exit command). Needs root and podman; prints medians and ratios.
# ROUNDS (default 40) sets the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
# the containers get no network, and run in a network namespace of the script's own all the same
. bench/lib/own-netns.sh
out=bench/out
mkdir -p "$out"
dir=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
chmod 755 "$dir"
mr=(native/build/mini-run --root "$dir/store" --state "$dir/state")
. bench/lib/podman-bench.sh
podman_bench_init "$dir"
cleanup() {
  "${mr[@]}" rm -f bench-verbs >/dev/null 2>&1 || true
  podman_bench_cleanup
  rm -rf "$dir"
}
trap cleanup EXIT

"${mr[@]}" load -i rootfs-fixtures/out/busybox-oci >/dev/null
image=localhost/mini-run/busybox:latest
"${mr[@]}" run -d --network none --name bench-verbs "$image" sleep 100000 >/dev/null
id=$("${pm[@]}" pull -q oci:rootfs-fixtures/out/busybox-oci)
"${pm[@]}" tag "$id" "$image"
"${pm[@]}" --runtime runc run -d --network none --name bench-verbs --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$image" sleep 100000 >/dev/null

DIR=$dir OLD=${OLD:-} PODMAN="${pm[*]}" node -e '
const e = process.env
const roots = ["--root", `${e.DIR}/store`, "--state", `${e.DIR}/state`]
const verbs = {
  "version": ["version"],
  "volume ls": ["volume", "ls"],
  "logs": ["logs", "bench-verbs"],
  "exec": ["exec", "bench-verbs", "true"],
  "start (running)": ["start", "bench-verbs"],
  "port": ["port", "bench-verbs"],
}
const rows = [{ name: "node -e 0", argv: ["node", "-e", "0"] }]
for (const [name, args] of Object.entries(verbs)) {
  rows.push({ name: `mini-run ${name}`, argv: ["native/build/mini-run", ...roots, ...args] })
  if (e.OLD) rows.push({ name: `old ${name}`, argv: [`${e.OLD}/native/build/mini-run`, ...roots, ...args] })
  rows.push({ name: `podman ${name}`, argv: [...e.PODMAN.split(" "), ...args] })
}
// a detached container started and removed: run -d (the monitor, the container) and rm -f (which waits for its exit command)
const cycle = (bin, extra) => ["sh", "-c", `id=$(${bin} run -d ${extra}--network none localhost/mini-run/busybox:latest true) && ${bin} rm -f "$id" >/dev/null`]
rows.push({ name: "mini-run run -d + rm -f", argv: cycle(["native/build/mini-run", ...roots].join(" "), "") })
if (e.OLD) rows.push({ name: "old run -d + rm -f", argv: cycle([`${e.OLD}/native/build/mini-run`, ...roots].join(" "), "") })
rows.push({ name: "podman run -d + rm -f", argv: cycle(`${e.PODMAN} --runtime runc`, "--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 ") })
rows.push({ name: "mini-run internal cleanup", argv: ["native/build/mini-run", ...roots, "internal", "cleanup", "0123456789ab"] })
if (e.OLD) rows.push({ name: "old internal cleanup", argv: [`${e.OLD}/native/build/mini-run`, ...roots, "internal", "cleanup", "0123456789ab"] })
require("fs").writeFileSync(`${e.DIR}/commands.json`, JSON.stringify(rows))
'
node bench/interleave.mjs "$dir/commands.json" "$out/verbs.json"
OLD=${OLD:-} node -e '
const all = JSON.parse(require("fs").readFileSync(process.argv[1]))
const m = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.median]))
const floor = m["node -e 0"]
const names = Object.keys(m).filter((k) => k.startsWith("mini-run ")).map((k) => k.slice("mini-run ".length))
for (const n of names) {
  const above = m[`mini-run ${n}`] - floor
  let line = `${n}: ${above.toFixed(1)} ms above node -e 0 (${(above / floor).toFixed(2)} of it)`
  if (m[`podman ${n}`] !== undefined) line += `; /podman ${(m[`mini-run ${n}`] / m[`podman ${n}`]).toFixed(2)}x`
  if (m[`old ${n}`] !== undefined) {
    // paired within each round: the old build and the new one ran in the same round
    const d = all[`mini-run ${n}`].times.map((t, i) => t - all[`old ${n}`].times[i]).sort((a, b) => a - b)
    line += `; against OLD ${(m[`mini-run ${n}`] / m[`old ${n}`]).toFixed(2)}x (${(m[`old ${n}`] - floor).toFixed(1)} ms above; paired ${d[d.length >> 1].toFixed(1)} ms)`
  }
  console.log(line)
}
' "$out/verbs.json"
