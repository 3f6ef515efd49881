#!/usr/bin/env bash
# Unpacking one gzip layer of tens of MB: mini-run's store (verifying the
# blob digest and diff id, whiteouts, xattrs) against GNU `tar -xzf` and
# `umoci unpack` on the same blob, with hyperfine. Prints medians and the
# ratios to GNU tar. The layer is the first LAYER_MB MB of files of
# /usr/share (by path): a realistic mix of many small files and some big
# ones (LAYER_SOURCE and LAYER_MB to change). BENCH_DIR=/dev/shm takes the
# disk out of the comparison (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
runs=${RUNS:-10}
source_dir=${LAYER_SOURCE:-/usr/share}
layer_mb=${LAYER_MB:-100}
for tool in hyperfine umoci; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y hyperfine umoci" >&2; exit 1; }
done
[ -f dist/image/store.js ] || { echo "dist/ is missing: npx tsc -p tsconfig.json" >&2; exit 1; }

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/mini-run-bench-unpack-XXXXXX")
trap 'rm -rf "$work"' EXIT
out=bench/out
mkdir -p "$out"

# The layer: files of source_dir up to layer_mb MB (uncompressed).
(cd "$source_dir" && find . -type f -o -type l | sort > "$work/all")
(cd "$source_dir" && python3 - "$work/all" $((layer_mb * 1024 * 1024)) > "$work/list" <<'PY'
import os, sys
total, limit = 0, int(sys.argv[2])
for line in open(sys.argv[1]):
    p = line.rstrip('\n')
    total += os.lstat(p).st_size
    if total > limit: break
    print(p)
PY
)
tar -C "$source_dir" --format=posix -czf "$work/layer.tar.gz" -T "$work/list"
digest=sha256:$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
diffid=sha256:$(gzip -dc "$work/layer.tar.gz" | sha256sum | cut -d' ' -f1)
files=$(wc -l < "$work/list")
size=$(gzip -dc "$work/layer.tar.gz" | wc -c)
echo "layer: $files files, $((size / 1024 / 1024)) MB uncompressed, $(( $(stat -c %s "$work/layer.tar.gz") / 1024 / 1024 )) MB gzip"

# The same blob as an OCI image layout for umoci.
mkdir -p "$work/oci/blobs/sha256"
cp "$work/layer.tar.gz" "$work/oci/blobs/sha256/${digest#sha256:}"
node - "$work/oci" "$digest" "$diffid" "$(stat -c %s "$work/layer.tar.gz")" <<'JS'
const fs = require('fs'), crypto = require('crypto'), path = require('path')
const [dir, digest, diffId, size] = process.argv.slice(2)
const put = (obj) => { const b = Buffer.from(JSON.stringify(obj)); const d = 'sha256:' + crypto.createHash('sha256').update(b).digest('hex'); fs.writeFileSync(path.join(dir, 'blobs/sha256', d.slice(7)), b); return { digest: d, size: b.length } }
const config = put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } })
const manifest = put({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: Number(size) }] })
fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }))
JS

# sync before each run: otherwise a run pays for the previous one's writeback
hyperfine --runs "$runs" --warmup 1 --export-json "$out/unpack.json" \
  --prepare "rm -rf $work/gnu && mkdir $work/gnu && sync" -n 'GNU tar -xzf' "tar -xzf $work/layer.tar.gz -C $work/gnu" \
  --prepare "rm -rf $work/store && sync" -n 'mini-run unpackLayer' "node bench/unpack.mjs $work/layer.tar.gz $digest $diffid $work/store" \
  --prepare "rm -rf $work/umoci && sync" -n 'umoci unpack' "umoci unpack --image $work/oci:bench $work/umoci"

node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1])).results
const base = r.find((x) => x.command === "GNU tar -xzf").median
for (const x of r) console.log(`${x.command.padEnd(22)} median ${(x.median * 1000).toFixed(0).padStart(6)} ms   ${(x.median / base).toFixed(2)}x GNU tar`)
' "$out/unpack.json"
