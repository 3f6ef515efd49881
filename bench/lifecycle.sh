#!/usr/bin/env bash
# Issue 4's benchmark: (1) start-to-exit of 100 sequential `run --rm` and of
# 100 `run -d` + `rm -f`, against the same loops with runc, in one
# hyperfine run; (2) the resident memory of 20 idle detached containers'
# monitors. Needs root; prints ratios and MB.
set -euo pipefail
# Containers get the default bridge network, with its NAT rules: they run in
# a network namespace of this script's own, never in this machine's.
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net bash "$0" "$@"
fi
ip link set lo up
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
n=${N:-100}
out=bench/out
mkdir -p "$out"
rootfs=$(pwd)/rootfs-fixtures/out/busybox-rootfs
dir=$(mktemp -d /var/tmp/mini-run-bench-XXXXXX)
chmod 755 "$dir"
cleanup() {
  dist/mini-run.cjs --root "$dir/store" --state "$dir/state" ps -a -q 2>/dev/null | xargs -r dist/mini-run.cjs --root "$dir/store" --state "$dir/state" rm -f >/dev/null 2>&1 || true
  for c in $(runc list -q 2>/dev/null | grep '^bench-' || true); do runc delete -f "$c" >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
mr="dist/mini-run.cjs --root $dir/store --state $dir/state"
$mr load -i rootfs-fixtures/out/busybox-oci >/dev/null
image=$(node -e 'const i=JSON.parse(require("fs").readFileSync("rootfs-fixtures/out/busybox-oci/index.json"));const m=i.manifests[0];console.log(m.annotations?.["io.containerd.image.name"]??"localhost/mini-run/busybox:latest")')

. bench/lib/oci-bundle.sh
oci_bundle "$dir/bundle" "$rootfs" mini-run-bench-runc /bin/sleep 30
oci_bundle "$dir/bundle-true" "$rootfs" mini-run-bench-runc

cat > "$dir/loops.sh" <<LOOPS
mr_rm() { for i in \$(seq $n); do $mr run --rm --network none $image /bin/true; done; }
mr_d() { for i in \$(seq $n); do id=\$($mr run -d --network none $image sleep 30); $mr rm -f \$id >/dev/null; done; }
runc_rm() { for i in \$(seq $n); do runc run -b $dir/bundle-true bench-\$i; done; }
runc_d() { for i in \$(seq $n); do runc run -d -b $dir/bundle bench-\$i >/dev/null 2>&1 </dev/null; runc delete -f bench-\$i; done; }
LOOPS
hyperfine -N --runs "${RUNS:-3}" --export-json "$out/lifecycle.json" \
  -n "mini-run run --rm x$n" "bash -c '. $dir/loops.sh; mr_rm'" \
  -n "runc run x$n" "bash -c '. $dir/loops.sh; runc_rm'" \
  -n "mini-run run -d + rm -f x$n" "bash -c '. $dir/loops.sh; mr_d'" \
  -n "runc run -d + delete -f x$n" "bash -c '. $dir/loops.sh; runc_d'" >/dev/null
node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1]));
const m = Object.fromEntries(results.map((r) => [r.command, r.median]));
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(34)} median ${v.toFixed(2)} s (${(v * 1000 / Number(process.argv[2])).toFixed(1)} ms each)`);
const names = Object.keys(m);
console.log(`run --rm: mini-run / runc = ${(m[names[0]] / m[names[1]]).toFixed(2)}x`);
console.log(`run -d + rm -f: mini-run / runc = ${(m[names[2]] / m[names[3]]).toFixed(2)}x`);
' "$out/lifecycle.json" "$n"

# (2) resident memory of 20 idle monitors
ids=()
for i in $(seq 20); do ids+=("$($mr run -d $image sleep 600)"); done
total=0
for id in "${ids[@]}"; do
  pid=$($mr inspect "$id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].MonitorPid))')
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
  total=$((total + rss))
done
node -e 'const kb = Number(process.argv[1]); console.log(`20 idle detached containers: monitors use ${(kb / 1024).toFixed(2)} MB in all, ${(kb / 20 / 1024).toFixed(2)} MB each (conmon: about 1-2 MB)`)' "$total"
$mr rm -f "${ids[@]}" >/dev/null
