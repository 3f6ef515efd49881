# podman in a storage of its own under a bench's temporary directory, and
# its cleanup: sourced by bench/run.sh and bench/api.sh.
#
# podman's cgroupfs manager leaves its conmon cgroups under libpod_parent in
# every hierarchy: they go too, unless they were there before the bench.
podman_bench_init() { # DIR
  pm=(podman --root "$1/podman" --runroot "$1/podman-run" --network-config-dir "$1/podman-net" --cgroup-manager cgroupfs --events-backend none)
  had_libpod=$(find /sys/fs/cgroup -maxdepth 2 -type d -name libpod_parent 2>/dev/null | head -1)
}
podman_bench_cleanup() {
  "${pm[@]}" rm -a -f -t 0 >/dev/null 2>&1 || true
  "${pm[@]}" system reset -f >/dev/null 2>&1 || true
  if [ -z "$had_libpod" ]; then
    find /sys/fs/cgroup -maxdepth 3 -depth -type d -path '*/libpod_parent*' -exec rmdir {} \; 2>/dev/null || true
  fi
}
