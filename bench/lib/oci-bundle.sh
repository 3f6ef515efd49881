# Sourced by the benchmarks that time runc and crun: an OCI bundle over a
# rootfs (read-only root, no terminal), from `runc spec`.
#   oci_bundle DIR ROOTFS CGROUPS_PATH [ARG...]   (args default: /bin/true)
# The cgroups path is relative: runc and crun nest it under their own cgroup.
oci_bundle() {
  local dir=$1 rootfs=$2 cgroup=$3
  shift 3
  [ $# -gt 0 ] || set -- /bin/true
  mkdir -p "$dir"
  (cd "$dir" && runc spec && ROOTFS="$rootfs" CGROUP="$cgroup" node -e '
const fs = require("fs"); const c = JSON.parse(fs.readFileSync("config.json"));
c.process.terminal = false; c.process.args = process.argv.slice(1);
c.root = { path: process.env.ROOTFS, readonly: true };
c.linux.cgroupsPath = process.env.CGROUP;
fs.writeFileSync("config.json", JSON.stringify(c, null, 2));' "$@")
}
