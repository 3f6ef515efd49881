#!/usr/bin/env bash
# `mini-run build` against `buildah bud`, same Dockerfile, same busybox base
# (the fixture's OCI layout), same machine:
#   cold     a first build into an empty cache (a fresh store holding only the base)
#   rebuild  after changing one application file: only the steps from
#            `COPY . .` on run again
# in interleaved rounds (mini-run, buildah, buildah, mini-run, ...: a busy
# machine slows both alike), medians and ratios; then the size and layer
# count of the two results.
#
# buildah runs its RUN steps with --isolation oci and runc (a container
# with namespaces and a cgroup, as mini-run's are); ISOLATION=chroot
# compares against buildah's lighter chroot mode instead. (Debian 12's
# buildah with crun fails here: "cgroups in hybrid mode not supported".)
# Both keep their layer cache (buildah bud --layers).
#
# Needs: buildah runc jq, root, and a built mini-run (npm run build).
#   bench/build.sh [ROUNDS]
set -euo pipefail
# Containers get the default bridge network, with its NAT rules: they run in
# a network namespace of this script's own, never in this machine's.
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net bash "$0" "$@"
fi
ip link set lo up
ROUNDS=${1:-7}
ISOLATION=${ISOLATION:-oci}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/dist/mini-run.cjs"
BASE_LAYOUT="$ROOT/rootfs-fixtures/out/busybox-oci"
for tool in buildah runc jq; do
  command -v "$tool" >/dev/null || { echo "bench/build.sh: $tool is missing (apt-get install -y buildah runc jq)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/build.sh: run as root (both builders run containers)" >&2; exit 1; }
[ -x "$CLI" ] || { echo "bench/build.sh: $CLI is missing: npm run build" >&2; exit 1; }
[ -d "$BASE_LAYOUT" ] || { echo "bench/build.sh: $BASE_LAYOUT is missing: node rootfs-fixtures/build.js" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/mini-run-bench-build.XXXXXX)
cleanup() {
  # buildah's overlay storage stays mounted until its containers are gone
  [ -d "$WORK/bh-root" ] && buildah --root "$WORK/bh-root" --runroot "$WORK/bh-runroot" --storage-driver overlay rm --all >/dev/null 2>&1
  if grep -q " $WORK/" /proc/self/mountinfo; then echo "bench/build.sh: mounts left under $WORK, not removing it" >&2; return; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# the fixture's own name, which `mini-run load` gives it; buildah's copy is tagged so too
BASE=localhost/mini-run/busybox:latest

# --- the project: a small multi-stage Dockerfile with the classic cache pattern ---
CTX="$WORK/ctx"
mkdir -p "$CTX/app"
cat >"$CTX/Dockerfile" <<'DOCKERFILE'
FROM localhost/mini-run/busybox:latest AS build
WORKDIR /src
COPY deps.txt .
RUN mkdir -p /deps && for d in $(cat deps.txt); do mkdir -p /deps/$d && for i in 1 2 3 4 5 6 7 8; do echo "$d module $i" > /deps/$d/m$i.js; done; done
COPY . .
RUN mkdir -p /out && cat app/*.txt > /out/bundle.js && tar -C app -cf /out/app.tar . && rm -rf /src/tmp
FROM localhost/mini-run/busybox:latest
WORKDIR /srv
COPY --from=build /deps ./node_modules
COPY --from=build /out ./
RUN echo "app:x:1000:1000::/srv:/bin/sh" >> /etc/passwd
USER app
CMD ["sh", "-c", "wc -c /srv/bundle.js"]
DOCKERFILE
seq -f 'dep%g' 1 40 >"$CTX/deps.txt"
for i in $(seq 1 60); do head -c 3000 /dev/urandom | base64 -w 76 >"$CTX/app/f$i.txt"; done
printf '.git\n*.log\n' >"$CTX/.dockerignore"

MR() { "$CLI" --root "$WORK/mr-store" --state "$WORK/mr-state" "$@"; }
BH() { buildah --root "$WORK/bh-root" --runroot "$WORK/bh-runroot" --storage-driver overlay "$@"; }
BH_BUD=(bud --layers --isolation "$ISOLATION" --quiet)
[ "$ISOLATION" = oci ] && BH_BUD+=(--runtime "$(command -v runc)")

fresh_mini_run() {
  rm -rf "$WORK/mr-store" "$WORK/mr-state"
  MR load -q -i "$BASE_LAYOUT" >/dev/null
}
fresh_buildah() {
  BH rm --all >/dev/null 2>&1 || true
  rm -rf "$WORK/bh-root" "$WORK/bh-runroot"
  BH pull -q "oci:$BASE_LAYOUT:latest" >/dev/null
  BH tag "$(BH images -q | head -1)" "$BASE"
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
build_mini_run() { MR build -q -t bench/app:1 "$CTX" >/dev/null 2>"$WORK/mr.err" || { cat "$WORK/mr.err" >&2; exit 1; }; }
build_buildah() { BH "${BH_BUD[@]}" -t bench/app:1 "$CTX" >/dev/null 2>"$WORK/bh.err" || { cat "$WORK/bh.err" >&2; exit 1; }; }

declare -a MR_COLD BH_COLD MR_RE BH_RE
echo "bench/build.sh: $ROUNDS interleaved rounds, buildah --isolation $ISOLATION" >&2
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="mini_run buildah"; else order="buildah mini_run"; fi
  for tool in $order; do
    "fresh_$tool"
    sync
    t=$(date +%s%N); "build_$tool"; cold=$(ms "$t")
    # one application file changes: only COPY . . and what follows run again
    echo "// round $round $tool" >>"$CTX/app/f7.txt"
    sync
    t=$(date +%s%N); "build_$tool"; re=$(ms "$t")
    if [ "$tool" = mini_run ]; then MR_COLD+=("$cold"); MR_RE+=("$re"); else BH_COLD+=("$cold"); BH_RE+=("$re"); fi
    echo "  round $round $tool: cold $cold ms, rebuild $re ms" >&2
  done
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mc=$(median "${MR_COLD[@]}"); bc=$(median "${BH_COLD[@]}")
mr=$(median "${MR_RE[@]}"); br=$(median "${BH_RE[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "cold build:   mini-run median $mc ms, buildah median $bc ms: buildah takes $(ratio "$bc" "$mc")x mini-run's time"
echo "rebuild:      mini-run median $mr ms, buildah median $br ms: buildah takes $(ratio "$br" "$mr")x mini-run's time"

# --- the results: layers and their compressed size, as a registry would hold them ---
mr_manifest=$(MR image inspect bench/app:1 | jq -r '.[0].ManifestDigest')
mr_layers=$(jq '.layers | length' "$WORK/mr-store/blobs/sha256/${mr_manifest#sha256:}")
mr_size=$(jq '[.layers[].size] | add' "$WORK/mr-store/blobs/sha256/${mr_manifest#sha256:}")
BH push -q localhost/bench/app:1 "oci:$WORK/bh-oci:app" >/dev/null
bh_manifest=$(jq -r '.manifests[0].digest' "$WORK/bh-oci/index.json")
bh_layers=$(jq '.layers | length' "$WORK/bh-oci/blobs/sha256/${bh_manifest#sha256:}")
bh_size=$(jq '[.layers[].size] | add' "$WORK/bh-oci/blobs/sha256/${bh_manifest#sha256:}")
echo "result:       mini-run $mr_layers layers, $mr_size bytes gzipped; buildah $bh_layers layers, $bh_size bytes gzipped"
