#!/usr/bin/env bash
# Issue 14's first idea, measured: would a V8 startup snapshot of the run
# bundle (`node --build-snapshot`, run with `--snapshot-blob`) start mini-run
# sooner than the code-cache launcher it has (src/cli/launcher.cts)?
#
# Four commands in interleaved rounds (bench/interleave.mjs), medians:
#   - `node -e 0`, the floor;
#   - a snapshot that holds nothing of ours (its main function returns): what
#     Node costs to start from any snapshot of a user's instead of its own;
#   - a snapshot holding dist/mini-run-run.cjs evaluated, runLine ready, and
#     a main function that returns: the least a snapshot-based run could cost;
#   - mini-run as installed, through that same bundle, up to a lookup that
#     fails: `run --rm --pull never` of an image the store lacks, exit 125.
# The last does more than the snapshot (it parses the line, reads the store
# and prints an error), so a snapshot that is not faster than it cannot make
# the run faster. Each command's figure includes a `sh -c` (shown too): the
# mini-run row needs one to accept its exit status.
#
# On this machine (2026-12-05, Node 20.20): an empty snapshot costs 26 ms
# more than `node -e 0`, though V8 reports deserializing it as fast as Node's
# own (node --profile-deserialization: 14 + 8 ms against 15 + 9): the cost is
# in Node's start from a blob of a user's, not in our heap. The run bundle's
# snapshot is 1.28x the launcher's whole path to a failed lookup, so the idea
# is dropped; the code cache stays.
#
# Needs a built tree (npm install). ROUNDS (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without it: Node parses it at every start, a snapshot's too
unset NODE_EXTRA_CA_CERTS
dir=$(mktemp -d /var/tmp/mini-run-bench-snap-XXXXXX)
trap 'rm -rf "$dir"' EXIT
bundle=$(pwd)/dist/mini-run-run.cjs

cat > "$dir/empty.js" <<'EOF'
require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {})
EOF
# The bundle as the launcher runs it (runBundle): its text is Module.wrap's
# function, called with a module object and a require (builtins only, the
# one a snapshot's builder has: the bundle loads the rest on first use).
cat > "$dir/run-bundle.js" <<'EOF'
const v8 = require('node:v8')
const file = process.env.BUNDLE
const wrapped = (0, eval)(require('node:fs').readFileSync(file, 'latin1'))
const module_ = { exports: {} }
wrapped.call(module_.exports, module_.exports, require, module_, file, require('node:path').dirname(file))
v8.startupSnapshot.setDeserializeMainFunction(() => {
  if (typeof module_.exports.runLine !== 'function') process.exit(3)
})
EOF
node --snapshot-blob "$dir/empty.blob" --build-snapshot "$dir/empty.js"
BUNDLE=$bundle node --snapshot-blob "$dir/run.blob" --build-snapshot "$dir/run-bundle.js"
dist/mini-run.cjs --root "$dir/store" --state "$dir/state" load -i rootfs-fixtures/out/busybox-oci >/dev/null

DIR=$dir node -e '
const d = process.env.DIR
const missing = `native/build/mini-run --root ${d}/store --state ${d}/state run --rm --pull never --network none localhost/mini-run/no-such-image /bin/true 2>/dev/null; test $? = 125`
require("fs").writeFileSync(`${d}/commands.json`, JSON.stringify([
  { name: "node -e 0", argv: ["node", "-e", "0"] },
  { name: "empty snapshot", argv: ["node", "--snapshot-blob", `${d}/empty.blob`] },
  { name: "run bundle snapshot", argv: ["node", "--snapshot-blob", `${d}/run.blob`] },
  { name: "mini-run, no image", argv: ["sh", "-c", missing] },
  { name: "sh -c true", argv: ["sh", "-c", "true"] },
]))'
mkdir -p bench/out
node bench/interleave.mjs "$dir/commands.json" bench/out/snapshot.json
node -e '
const m = Object.fromEntries(Object.entries(JSON.parse(require("fs").readFileSync(process.argv[1]))).map(([k, v]) => [k, v.median]))
const floor = m["node -e 0"], launcher = m["mini-run, no image"] - m["sh -c true"]
console.log(`blobs: empty ${(require("fs").statSync(process.argv[2] + "/empty.blob").size / 1e6).toFixed(1)} MB, run bundle ${(require("fs").statSync(process.argv[2] + "/run.blob").size / 1e6).toFixed(1)} MB`)
console.log(`an empty snapshot costs ${(m["empty snapshot"] - floor).toFixed(1)} ms above node -e 0 (${(m["empty snapshot"] / floor).toFixed(2)}x)`)
console.log(`the run bundle from a snapshot, doing nothing: ${(m["run bundle snapshot"] - floor).toFixed(1)} ms above the floor`)
console.log(`mini-run through the code cache, to a failed lookup (sh -c taken off): ${(launcher - floor).toFixed(1)} ms above the floor`)
console.log(`snapshot / code-cache launcher: ${(m["run bundle snapshot"] / launcher).toFixed(2)}x`)
' bench/out/snapshot.json "$dir"
