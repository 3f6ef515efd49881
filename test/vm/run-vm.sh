#!/usr/bin/env bash
# run-vm.sh [--check] [--status-to FILE] [COMMAND [ARG...]]
#
# Run COMMAND (default: the kernel-feature tests, test/vm/*.vmtest.ts) in a
# throwaway VM booted from Debian's kernel (linux-image-amd64) with a pure
# cgroup v2 hierarchy (cgroup_no_v1=all), as root, in the project directory,
# and exit with its status. The guest sees this machine's / read-only over
# 9p under a tmpfs overlay (guest-init.sh), so it runs exactly the node,
# node_modules and dist/ that are here, and nothing it writes reaches the
# host except through the job directory.
#
# --check only tells whether this machine can run the VM: it prints what is
# missing, one line each, and exits 3 if anything is.
#
# --status-to FILE: when the harness ends, for any reason, it writes its exit
# status to FILE (whole, by a rename): how .ci/run's test suite learns the
# result of a VM it started beside the suite (test/vm-kernel.test.ts).
#
# The guest runs this build of mini-run as it was when the harness started:
# dist/ and native/build/ are copied into the job directory and mounted over
# the project's, so a rebuild on the host while the VM runs (the suite's
# global setup makes one) never reaches it half-written.
#
# Exit status: COMMAND's own; 3 when something is missing; 124 when the VM
# ran out of time (MINI_RUN_VM_TIMEOUT seconds, default 1200); 125 when the
# VM stopped without a status; 255 when the guest's init failed.
#
# Environment: MINI_RUN_VM_KERNEL (a /boot/vmlinuz-* file; default the newest
# one with its modules installed), MINI_RUN_VM_MEMORY (default 2G),
# MINI_RUN_VM_CPUS (default 2), MINI_RUN_VM_KEEP=1 keeps the work directory.
set -euo pipefail

here=$(dirname "$(realpath "$0")")
project=$(realpath "$here/../..")
qemu=qemu-system-x86_64

check_only=
if [ "${1:-}" = --check ]; then
  check_only=1
  shift
fi
status_to=
if [ "${1:-}" = --status-to ]; then
  status_to=${2:?run-vm: --status-to needs a file}
  shift 2
fi
write_status() {
  [ -z "$status_to" ] || { echo "$1" >"$status_to.part" && mv "$status_to.part" "$status_to"; }
}
trap 'write_status $?' EXIT

# The newest Debian kernel whose modules are installed: linux-image-amd64
# puts both in place without touching the running kernel or the boot config.
find_kernel() {
  local k v
  for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
    v=${k#/boot/vmlinuz-}
    if [ -d "/lib/modules/$v/kernel/fs/9p" ]; then
      echo "$k"
      return
    fi
  done
}

kernel=${MINI_RUN_VM_KERNEL:-$(find_kernel)}
missing=()
[ "$(id -u)" = 0 ] || missing+=("root: the guest runs the tests as root and QEMU must read all of / to share it")
if ! command -v $qemu >/dev/null; then
  missing+=("$qemu (apt-get install qemu-system-x86)")
elif ! $qemu -accel help | grep -qx tcg; then
  missing+=("$qemu without TCG: the VM is emulated, it does not use /dev/kvm")
fi
if [ -z "$kernel" ] || [ ! -f "$kernel" ]; then
  missing+=("a kernel in /boot with its modules (apt-get install linux-image-amd64)")
else
  version=${kernel#/boot/vmlinuz-}
  config=/boot/config-$version
  if [ -f "$config" ] && ! grep -qx 'CONFIG_PVH=y' "$config"; then
    missing+=("$kernel without CONFIG_PVH: QEMU cannot boot its vmlinux directly")
  fi
fi
if ! command -v busybox >/dev/null || readelf -l "$(command -v busybox)" | grep -q INTERP; then
  missing+=("a static busybox for the initramfs (apt-get install busybox-static)")
fi
for tool in cpio modprobe xz; do
  command -v $tool >/dev/null || missing+=("$tool (apt-get install cpio kmod xz-utils)")
done
[ -f "$project/dist/mini-run.cjs" ] || missing+=("$project/dist/mini-run.cjs (npm run build)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'run-vm: missing: %s\n' "${missing[@]}" >&2
  exit 3
fi
[ -n "$check_only" ] && exit 0

if [ $# -eq 0 ]; then
  # node straight to vitest: npx costs seconds of npm start-up in the guest
  set -- node node_modules/vitest/vitest.mjs run --config test/vm/vitest.vm.config.ts
fi

work=$(mktemp -d /var/tmp/mini-run-vm.XXXXXX)
qemu_pid=
cleanup() {
  local status=$?
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  if [ "${MINI_RUN_VM_KEEP:-}" = 1 ]; then
    echo "run-vm: kept $work" >&2
  else
    rm -rf "$work"
  fi
  write_status "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$work/job"
mkdir "$work/job/build"
cp -a "$project/dist" "$work/job/build/dist"
cp -a "$project/native/build" "$work/job/build/native"
# A small empty disk, the guest's /dev/vda: a block device for the block I/O
# limits (io.max names a device by its major:minor). Sparse: no space used.
truncate -s 64M "$work/disk.img"
"$here/extract-vmlinux.sh" "$kernel" "$work/vmlinux"
"$here/build-initramfs.sh" "$version" "$work/initramfs.cpio"

# The job: COMMAND with the environment that matters here, in the project dir.
{
  echo '#!/bin/bash'
  # NO_COLOR: the output ends up in a log (this script's, or a test's)
  printf 'export PATH=%q HOME=/root LANG=C.UTF-8 NO_COLOR=1 MINI_RUN_VM=1\n' "$PATH"
  [ -n "${CI:-}" ] && printf 'export CI=%q\n' "$CI"
  printf 'cd %q || exit 255\n' "$project"
  printf 'exec'
  printf ' %q' "$@"
  echo
} >"$work/job/job.sh"
chmod 0755 "$work/job/job.sh"
# the guest mounts tmpfs over /tmp and /var/tmp: it must put the project back
# if it lives there (CI may clone anywhere)
printf '%s\n' "$project" >"$work/job/project"

# -accel tcg: emulated, so it runs where /dev/kvm is missing or cannot boot
# a stock kernel. -cpu max: RDRAND, so the guest's RNG is ready at once.
# panic=-1 with -no-reboot: a guest that panics ends QEMU instead of hanging.
append="console=ttyS0 quiet panic=-1 cgroup_no_v1=all rdinit=/init mitigations=off"
start=$(date +%s)
# The serial console, as it comes, without the tty's carriage returns.
exec {console}> >(sed -u 's/\r$//')
console_pid=$!
timeout -k 10 "${MINI_RUN_VM_TIMEOUT:-1200}" \
  $qemu -accel tcg -M pc -cpu max -smp "${MINI_RUN_VM_CPUS:-2}" -m "${MINI_RUN_VM_MEMORY:-2G}" \
  -nodefaults -no-user-config -display none -no-reboot -serial stdio \
  -kernel "$work/vmlinux" -initrd "$work/initramfs.cpio" -append "$append" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$work/job,mount_tag=job,security_model=none,multidevs=remap" \
  -drive "file=$work/disk.img,if=virtio,format=raw" \
  </dev/null >&"$console" &
qemu_pid=$!
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
exec {console}>&-
wait "$console_pid" || true
echo "run-vm: the VM ran for $(($(date +%s) - start))s" >&2

if [ "$qemu_status" = 124 ]; then
  echo "run-vm: the VM did not finish in ${MINI_RUN_VM_TIMEOUT:-1200}s" >&2
  exit 124
fi
if [ ! -s "$work/job/status" ]; then
  echo "run-vm: the VM stopped without a status (QEMU exit status $qemu_status)" >&2
  exit 125
fi
status=$(cat "$work/job/status")
[ "$status" = 255 ] && echo "run-vm: the guest's init failed (see its output above)" >&2
exit "$status"
