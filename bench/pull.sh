#!/usr/bin/env bash
# Pull + unpack of a multi-layer image from a local registry:
#   mini-run pull        (download, decompress and unpack overlap, layers in parallel)
#   skopeo copy + umoci unpack   (download to an OCI layout, then unpack)
# in one hyperfine run, with the ratio, and mini-run's peak RSS (/usr/bin/time -v).
#
# Needs: docker-registry skopeo umoci hyperfine jq /usr/bin/time, and a built
# mini-run (npm run build, or npx tsc -p tsconfig.json). Traffic stays on 127.0.0.1.
#   bench/pull.sh [LAYERS] [MB_PER_LAYER] [RUNS]
set -euo pipefail
LAYERS=${1:-4}
MB=${2:-24}
RUNS=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/dist/cli/main.js"
for tool in docker-registry skopeo umoci hyperfine jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/pull.sh: $tool is missing (apt-get install -y docker-registry skopeo umoci hyperfine jq time)" >&2; exit 1; }
done
[ -f "$CLI" ] || { echo "bench/pull.sh: $CLI is missing: build first (npx tsc -p tsconfig.json)" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/mini-run-bench-pull.XXXXXX)
REGISTRY_PID=
cleanup() {
  if [ -n "$REGISTRY_PID" ]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
HOST=127.0.0.1:$PORT
cat >"$WORK/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: $HOST
  secret: bench-$RANDOM$RANDOM
YAML
env -u REGISTRY_HTTP_ADDR docker-registry serve "$WORK/registry.yml" 2>"$WORK/registry.log" &
REGISTRY_PID=$!
for _ in $(seq 100); do curl -fsS "http://$HOST/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://$HOST/v2/" >/dev/null

# The image: each layer has many small text files (compressible) and one big
# random file (not), like a typical distro or language-runtime layer.
echo "building a $LAYERS-layer image, about $MB MB uncompressed per layer..." >&2
umoci init --layout "$WORK/src" >/dev/null
umoci new --image "$WORK/src:v1" >/dev/null
for i in $(seq "$LAYERS"); do
  dir="$WORK/build/layer$i/layer$i"
  mkdir -p "$dir/small"
  head -c $((MB / 2 * 1024 * 1024)) /dev/urandom >"$dir/big.bin"
  head -c $((MB / 2 * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 0 | split -b 8192 -a 4 - "$dir/small/f"
  tar -C "$WORK/build/layer$i" -cf "$WORK/build/layer$i.tar" "layer$i"
  umoci raw add-layer --image "$WORK/src:v1" "$WORK/build/layer$i.tar" >/dev/null
  rm -rf "$WORK/build/layer$i" "$WORK/build/layer$i.tar"
done
skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/src:v1" "docker://$HOST/bench/app:v1"
REF="$HOST/bench/app:v1"
echo "image pushed as $REF: $(du -sh "$WORK/registry" | cut -f1) in the registry" >&2

hyperfine --runs "$RUNS" --warmup 1 --export-json "$WORK/hyperfine.json" \
  --prepare "rm -rf $WORK/store $WORK/oci $WORK/bundle" \
  -n mini-run "node $CLI --root $WORK/store --state $WORK/state pull -q $REF" \
  -n skopeo+umoci "skopeo copy --quiet --src-tls-verify=false docker://$REF oci:$WORK/oci:v1 && umoci unpack --image $WORK/oci:v1 $WORK/bundle >/dev/null"

jq -r '.results as $r | ($r[] | select(.command=="mini-run") | .mean) as $m
  | $r[] | "\(.command): mean \(.mean*1000|floor) ms ± \(.stddev*1000|floor) ms, \(.mean/$m*100|floor/100)x mini-run"' "$WORK/hyperfine.json"

rm -rf "$WORK/store"
/usr/bin/time -v node "$CLI" --root "$WORK/store" --state "$WORK/state" pull -q "$REF" 2>"$WORK/time.txt" >/dev/null
echo "mini-run pull peak RSS: $(awk '/Maximum resident/ {printf "%.1f MB", $NF/1024}' "$WORK/time.txt")"
rm -rf "$WORK/oci" "$WORK/bundle"
/usr/bin/time -v sh -c "skopeo copy --quiet --src-tls-verify=false docker://$REF oci:$WORK/oci:v1 && umoci unpack --image $WORK/oci:v1 $WORK/bundle >/dev/null" 2>"$WORK/time2.txt"
echo "skopeo+umoci peak RSS (largest single process): $(awk '/Maximum resident/ {printf "%.1f MB", $NF/1024}' "$WORK/time2.txt")"
