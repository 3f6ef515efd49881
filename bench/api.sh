#!/usr/bin/env bash
# The Docker Engine API, mini-run's `system service` against podman's (the
# same docker client, Debian's docker.io binary that .ci/deps --test
# unpacks into test/.tools/): `docker run --rm IMAGE true`, `docker ps -a`
# and `docker images` through each socket, in interleaved rounds
# (bench/interleave.mjs), with mini-run's own CLI (`mini-run run --rm`) as
# the no-service line, and the same service without the children it starts
# ahead (MINI_RUN_SERVICE_WARM=0). Needs root, podman and test/.tools/docker; prints
# medians and ratios. ROUNDS (default 20) sets the rounds.
#
# Every container runs with --network none. The script re-enters itself in
# a network namespace of its own, as bench/run.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/own-netns.sh
docker=$(pwd)/test/.tools/docker
[ -x "$docker" ] || { echo "bench/api.sh: no $docker: run bash .ci/deps --test" >&2; exit 1; }
out=bench/out
mkdir -p "$out"
dir=$(mktemp -d /var/tmp/mini-run-bench-api-XXXXXX)
chmod 755 "$dir"
mr=(native/build/mini-run --root "$dir/store" --state "$dir/state")
. bench/lib/podman-bench.sh
podman_bench_init "$dir"
pm+=(--runtime crun)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "${mr[@]}" rm -f $("${mr[@]}" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  podman_bench_cleanup
  rm -rf "$dir"
}
trap cleanup EXIT

"${mr[@]}" load -i rootfs-fixtures/out/busybox-oci >/dev/null
image=localhost/mini-run/busybox:latest
id=$("${pm[@]}" pull -q oci:rootfs-fixtures/out/busybox-oci)
"${pm[@]}" tag "$id" "$image"

# crun 1.8 refuses this hybrid-cgroup host unless it sees a pure v2 tree: podman's service runs in a
# mount namespace with an empty tmpfs over the v2 mount, as bench/run.sh gives crun and podman
in_v2_view=()
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
  in_v2_view=(unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs none /sys/fs/cgroup/unified && exec "$@"' sh)
fi
"${mr[@]}" system service --time 0 "unix://$dir/mini-run.sock" 2>/dev/null &
pids+=($!)
# the same service without children started ahead (src/api/warm-cli.ts): what they save
MINI_RUN_SERVICE_WARM=0 "${mr[@]}" system service --time 0 "unix://$dir/mini-run-cold.sock" 2>/dev/null &
pids+=($!)
"${in_v2_view[@]}" "${pm[@]}" system service --time 0 "unix://$dir/podman.sock" 2>/dev/null &
pids+=($!)
for sock in mini-run mini-run-cold podman; do
  for _ in $(seq 100); do DOCKER_HOST=unix://$dir/$sock.sock "$docker" version >/dev/null 2>&1 && break; sleep 0.1; done
done
# 20 stopped containers for the listings
for i in $(seq 20); do
  DOCKER_HOST=unix://$dir/mini-run.sock "$docker" create --network none "$image" true >/dev/null
  DOCKER_HOST=unix://$dir/podman.sock "$docker" create --network none "$image" true >/dev/null
done

DIR=$dir DOCKER=$docker IMAGE=$image node -e '
const e = process.env
const via = (sock, args) => ({ argv: [e.DOCKER, ...args], env: { DOCKER_HOST: `unix://${e.DIR}/${sock}.sock` } })
const run = ["run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", e.IMAGE, "true"]
const commands = [
  { name: "mini-run CLI run", argv: ["native/build/mini-run", "--root", `${e.DIR}/store`, "--state", `${e.DIR}/state`, ...run] },
  { name: "mini-run API run", ...via("mini-run", run) },
  { name: "mini-run API run, none started ahead", ...via("mini-run-cold", run) },
  { name: "podman API run", ...via("podman", run) },
  { name: "mini-run API ps", ...via("mini-run", ["ps", "-a"]) },
  { name: "podman API ps", ...via("podman", ["ps", "-a"]) },
  { name: "mini-run API images", ...via("mini-run", ["images"]) },
  { name: "podman API images", ...via("podman", ["images"]) },
]
require("fs").writeFileSync(`${e.DIR}/commands.json`, JSON.stringify(commands))'
ROUNDS=${ROUNDS:-20} node bench/interleave.mjs "$dir/commands.json" "$out/api.json"
node -e '
const m = Object.fromEntries(Object.entries(JSON.parse(require("fs").readFileSync(process.argv[1]))).map(([k, v]) => [k, v.median]))
for (const what of ["run", "ps", "images"]) console.log(`docker ${what} through the mini-run service / through the podman one: ${(m[`mini-run API ${what}`] / m[`podman API ${what}`]).toFixed(2)}x (${m[`mini-run API ${what}`].toFixed(1)} ms against ${m[`podman API ${what}`].toFixed(1)} ms)`)
console.log(`docker run through the mini-run service / mini-run run itself: ${(m["mini-run API run"] / m["mini-run CLI run"]).toFixed(2)}x`)
const cold = m["mini-run API run, none started ahead"]
console.log(`docker run through the mini-run service, children started ahead / none (MINI_RUN_SERVICE_WARM=0): ${(m["mini-run API run"] / cold).toFixed(2)}x (${cold.toFixed(1)} ms without)`)
' "$out/api.json"
