#!/usr/bin/env bash
# Push of a multi-layer image to a local registry:
#   mini-run push         (from its store: the layer blobs it kept, HEAD, POST, PUT)
#   skopeo copy oci:... docker://...   (the same image from an OCI layout)
# Each push goes to an empty registry (its storage is wiped and it is
# restarted before each push, untimed), so every blob is really sent. Rounds
# interleave the two tools and alternate which goes first; medians and the
# ratio at the end.
#
# Needs: docker-registry skopeo umoci curl, and a built mini-run (npm run build).
# Traffic stays on 127.0.0.1.
#   bench/push.sh [LAYERS] [MB_PER_LAYER] [ROUNDS]
set -euo pipefail
LAYERS=${1:-4}
MB=${2:-24}
ROUNDS=${3:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/dist/mini-run.cjs"
for tool in docker-registry skopeo umoci curl node; do
  command -v "$tool" >/dev/null || { echo "bench/push.sh: $tool is missing (apt-get install -y docker-registry skopeo umoci curl)" >&2; exit 1; }
done
[ -x "$CLI" ] || { echo "bench/push.sh: $CLI is missing: build first (npm run build)" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/mini-run-bench-push.XXXXXX)
REGISTRY_PID=
stop_registry() {
  if [ -n "$REGISTRY_PID" ]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  REGISTRY_PID=
}
cleanup() {
  stop_registry
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM

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
fresh_registry() {
  stop_registry
  rm -rf "$WORK/registry"
  env -u REGISTRY_HTTP_ADDR docker-registry serve "$WORK/registry.yml" >/dev/null 2>>"$WORK/registry.log" &
  REGISTRY_PID=$!
  for _ in $(seq 200); do curl -fsS "http://$HOST/v2/" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "bench/push.sh: docker-registry did not start: $(tail -5 "$WORK/registry.log")" >&2
  exit 1
}

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
REF="$HOST/bench/app:v1"
ID=$("$CLI" --root "$WORK/store" --state "$WORK/state" load -i "$WORK/src" | sed -n 's/^Loaded image ID: //p')
"$CLI" --root "$WORK/store" --state "$WORK/state" tag "$ID" "$REF"
echo "image: $(du -sh "$WORK/src/blobs" | cut -f1) of blobs; pushing it to $REF" >&2

now_ms() { date +%s%N | cut -c1-13; }
push_mini_run() { "$CLI" --root "$WORK/store" --state "$WORK/state" push -q "$REF" >/dev/null; }
push_skopeo() { skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/src:v1" "docker://$REF"; }

# Sets LAST to the milliseconds one push to an empty registry took (not in
# a subshell: the registry it starts must stay this shell's child).
timed() {
  fresh_registry
  local start end
  start=$(now_ms)
  "$1"
  end=$(now_ms)
  # the registry has the image: its manifest answers
  curl -fsS -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$HOST/v2/bench/app/manifests/v1"
  LAST=$((end - start))
}

timed push_mini_run # warm-up: page cache, code cache
timed push_skopeo
MINI=()
SKOPEO=()
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then
    timed push_mini_run; MINI+=("$LAST")
    timed push_skopeo; SKOPEO+=("$LAST")
  else
    timed push_skopeo; SKOPEO+=("$LAST")
    timed push_mini_run; MINI+=("$LAST")
  fi
  echo "round $r: mini-run ${MINI[-1]} ms, skopeo ${SKOPEO[-1]} ms" >&2
done
node -e '
  const [mini, skopeo] = process.argv.slice(1).map((s) => s.split(" ").map(Number))
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
  const m = median(mini), s = median(skopeo)
  console.log(`medians over ${mini.length} rounds: mini-run push ${m} ms, skopeo copy ${s} ms`)
  console.log(`skopeo / mini-run: ${(s / m).toFixed(2)}x (per round: ${mini.map((x, i) => (skopeo[i] / x).toFixed(2)).join(" ")})`)
' "${MINI[*]}" "${SKOPEO[*]}"
