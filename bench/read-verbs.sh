#!/usr/bin/env bash
# `ps -a`, `images` and `inspect` with 50 containers (created, never started)
# and 20 images in a store and state of their own, against `node -e 0`, in
# interleaved rounds (bench/interleave.mjs). Needs root; prints medians and
# each verb's ratio to `node -e 0` (issue 14's target: under 1.5x).
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
out=bench/out
mkdir -p "$out"
dir=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
chmod 755 "$dir"
mr=(dist/mini-run.cjs --root "$dir/store" --state "$dir/state")
cleanup() {
  "${mr[@]}" ps -a -q 2>/dev/null | xargs -r "${mr[@]}" rm -f >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${mr[@]}" load -i rootfs-fixtures/out/busybox-oci >/dev/null
# 20 images: the fixture and 19 one-label builds on it (each its own config digest)
mkdir -p "$dir/ctx"
for i in $(seq 19); do
  printf 'FROM localhost/mini-run/busybox:latest\nLABEL bench.n=%s\n' "$i" > "$dir/ctx/Dockerfile"
  "${mr[@]}" build -q -t "localhost/bench/img$i" "$dir/ctx" >/dev/null
done
for i in $(seq 50); do
  "${mr[@]}" create --network none --name "c$i" localhost/mini-run/busybox /bin/true >/dev/null
done
DIR=$dir node -e '
const root = ["native/build/mini-run", "--root", `${process.env.DIR}/store`, "--state", `${process.env.DIR}/state`]
require("fs").writeFileSync(`${process.env.DIR}/commands.json`, JSON.stringify([
  { name: "node -e 0", argv: ["node", "-e", "0"] },
  { name: "ps -a", argv: [...root, "ps", "-a"] },
  { name: "images", argv: [...root, "images"] },
  { name: "inspect", argv: [...root, "inspect", "c25"] },
]))'
node bench/interleave.mjs "$dir/commands.json" "$out/read-verbs.json"
node -e '
const m = Object.fromEntries(Object.entries(JSON.parse(require("fs").readFileSync(process.argv[1]))).map(([k, v]) => [k, v.median]))
for (const k of ["ps -a", "images", "inspect"]) console.log(`${k} / node -e 0: ${(m[k] / m["node -e 0"]).toFixed(2)}x (target: under 1.5x)`)
' "$out/read-verbs.json"
