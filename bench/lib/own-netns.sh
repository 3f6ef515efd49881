# Sourced first by a bench script (after its `cd` to the project): the
# script runs again in a network and mount namespace of its own, so that no
# container, bridge or rule it makes reaches this machine's network, with
# lo up; and without NODE_EXTRA_CA_CERTS, which Node would parse at every
# start (bench/run.sh shows both with it).
if [ "${MINI_RUN_BENCH_NETNS:-}" != 1 ]; then
  exec env MINI_RUN_BENCH_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
ip link set lo up
unset NODE_EXTRA_CA_CERTS
