#!/usr/bin/env bash
# Issue 13's benchmark: the time of `mini-run system check` on a store of 20
# images (busybox plus a layer of its own each: 1 MB of random bytes and 200
# small files), with hyperfine. Needs a built mini-run (npm run build).
#   bench/system-check.sh [IMAGES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
IMAGES=${1:-20}
RUNS=${2:-5}
command -v hyperfine >/dev/null || { echo "bench/system-check.sh: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 1; }
dir=$(mktemp -d /var/tmp/mini-run-bench-check-XXXXXX)
trap 'rm -rf "$dir"' EXIT
mr="dist/mini-run.cjs --root $dir/store --state $dir/state"
node --input-type=module - "$dir" "$IMAGES" <<'JS'
import { randomBytes } from 'node:crypto'
import { writeOciLayout } from './dist/image/oci-layout.js'
const [dir, count] = [process.argv[2], Number(process.argv[3])]
for (let i = 0; i < count; i++) {
  const files = Array.from({ length: 200 }, (_, j) => ({ path: `data/f${j}`, type: 'file', content: randomBytes(64).toString('hex') }))
  await writeOciLayout(`${dir}/layout-${i}`, {
    name: `localhost/bench/check-${i}:1`,
    layers: [{ dir: 'rootfs-fixtures/out/busybox-rootfs' }, [{ path: 'data', type: 'dir' }, ...files, { path: 'big', type: 'file', content: randomBytes(1 << 20) }]],
  })
}
JS
for i in $(seq 0 $((IMAGES - 1))); do $mr load -i "$dir/layout-$i" >/dev/null; done
echo "store: $($mr images -q | wc -l) images, $(du -sh "$dir/store" | cut -f1)" >&2
$mr system check | tail -1
hyperfine -N --runs "$RUNS" --warmup 1 -n "system check, $IMAGES images" "$mr system check" 2>/dev/null | grep -E "Time|Range"
