#!/usr/bin/env bash
# compose: `up -d` of a three-service stack until every service runs and db's
# health check passes, and `down`, against podman-compose (Debian 12's 1.0.3)
# driving podman (the same netavark) on the same compose file.
#
# The stack: web built from a Dockerfile (busybox httpd with a CGI script that
# asks db), db (a TCP service with a named volume and a health check), worker
# (depends_on db: service_healthy). Images come from the busybox fixture;
# builds hit both tools' caches after the warm-up. Every service stops with
# SIGKILL (stop_signal), so down measures the tools, not a 10 s stop timeout
# (busybox's httpd and sh as PID 1 ignore SIGTERM). podman runs its health checks from systemd timers, which
# this machine lacks: for podman, "healthy" is its first `podman healthcheck
# run` that passes, polled at the same 50 ms as mini-run's `compose ps`.
#
# Everything runs in a network namespace of its own. Needs root, podman,
# podman-compose. ROUNDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
# as on a host without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start, `node -e 0` included (bench/run.sh shows both with it)
unset NODE_EXTRA_CA_CERTS
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
ip link set lo up
rounds=${ROUNDS:-5}
work=$(mktemp -d /var/tmp/mini-run-bench-compose-XXXXXX)
mr="$(pwd)/dist/mini-run.cjs --root $work/store --state $work/state"
# this machine's hard limits are below podman's default ulimits (network.sh passes --ulimit)
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' > "$work/containers.conf"
cat > "$work/podman" <<P
#!/bin/sh
export CONTAINERS_CONF=$work/containers.conf
exec podman --root $work/podman-root --runroot $work/podman-run --runtime runc --cgroup-manager cgroupfs --events-backend none "\$@"
P
chmod +x "$work/podman"
pm="$work/podman"
pc="podman-compose --podman-path $pm -p bench"
cleanup() {
  (cd "$work/p" && $mr compose -p bench down -v >/dev/null 2>&1) || true
  (cd "$work/p" && $pc down -v >/dev/null 2>&1) || true
  [ -f "$work/state/network/aardvark-dns/aardvark.pid" ] && kill "$(cat "$work/state/network/aardvark-dns/aardvark.pid")" 2>/dev/null || true
  $pm rm -af >/dev/null 2>&1 || true
  umount -R "$work/podman-root" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

image=localhost/mini-run/busybox:latest
$mr load -i rootfs-fixtures/out/busybox-oci >/dev/null
$pm pull -q "oci:$(pwd)/rootfs-fixtures/out/busybox-oci" >/dev/null
$pm tag "$($pm images -q | head -1)" "$image"

mkdir -p "$work/p/web/cgi-bin"
printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\nnc "$DB_HOST" 5000 </dev/null\n' > "$work/p/web/cgi-bin/db"
chmod 755 "$work/p/web/cgi-bin/db"
printf 'FROM %s\nCOPY cgi-bin /www/cgi-bin\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n' "$image" > "$work/p/web/Dockerfile"
cat > "$work/p/compose.yaml" <<Y
services:
  web:
    build: ./web
    image: bench-web
    ports: ["18090:80"]
    environment: {DB_HOST: db}
    depends_on: {db: {condition: service_healthy}}
    stop_signal: SIGKILL
  db:
    image: $image
    command: ["sh", "-c", "[ -f /data/v ] || cat /proc/sys/kernel/random/uuid > /data/v; touch /tmp/ready; while true; do nc -l -p 5000 < /data/v; done"]
    volumes: ["dbdata:/data"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 250ms, retries: 30}
    stop_signal: SIGKILL
  worker:
    image: $image
    command: ["sh", "-c", "nc db 5000 </dev/null; exec sleep 100000"]
    depends_on: {db: {condition: service_healthy}}
    stop_signal: SIGKILL
volumes:
  dbdata:
Y
cd "$work/p"

now() { date +%s%N; }
mr_ready() { local ps; ps=$($mr compose -p bench ps 2>/dev/null); [ "$(grep -c ' Up ' <<<"$ps")" = 3 ] && grep -q 'bench-db-1 .*(healthy)' <<<"$ps"; }
pm_ready() { [ "$($pm ps -q --filter status=running | wc -l)" = 3 ] && $pm healthcheck run bench_db_1 >/dev/null 2>&1; }
until_ready() { for _ in $(seq 1200); do "$1" && return 0; sleep 0.05; done; echo "never ready: $1" >&2; exit 1; }

# warm-up: builds, networks, podman's storage
$mr compose -p bench up -d >/dev/null 2>&1; until_ready mr_ready; $mr compose -p bench down >/dev/null 2>&1
$pc up -d >/dev/null 2>&1; until_ready pm_ready; $pc down >/dev/null 2>&1

declare -A t
for k in mr_up mr_down pm_up pm_down; do t[$k]=""; done
for r in $(seq "$rounds"); do
  s=$(now); $mr compose -p bench up -d >/dev/null 2>&1; until_ready mr_ready; e=$(now); t[mr_up]+=" $(((e - s) / 1000000))"
  curl -sf --max-time 2 http://127.0.0.1:18090/cgi-bin/db >/dev/null || { echo "mini-run: web did not answer" >&2; exit 1; }
  s=$(now); $mr compose -p bench down >/dev/null 2>&1; e=$(now); t[mr_down]+=" $(((e - s) / 1000000))"
  s=$(now); $pc up -d >/dev/null 2>&1; until_ready pm_ready; e=$(now); t[pm_up]+=" $(((e - s) / 1000000))"
  s=$(now); $pc down >/dev/null 2>&1; e=$(now); t[pm_down]+=" $(((e - s) / 1000000))"
done
node -e '
const median = (s) => { const xs = s.trim().split(/\s+/).map(Number).sort((a, b) => a - b); return xs.length % 2 ? xs[xs.length >> 1] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2 }
const [mu, md, pu, pd] = process.argv.slice(1).map(median)
console.log(`compose up -d to running and healthy, medians of ${process.argv[1].trim().split(/\s+/).length}: mini-run ${mu} ms, podman-compose ${pu} ms, ratio ${(mu / pu).toFixed(2)}x`)
console.log(`compose down: mini-run ${md} ms, podman-compose ${pd} ms, ratio ${(md / pd).toFixed(2)}x`)
' "${t[mr_up]}" "${t[mr_down]}" "${t[pm_up]}" "${t[pm_down]}"
