#!/usr/bin/env bash
# build-initramfs.sh KERNEL_VERSION OUT: write the test VM's initramfs (an
# uncompressed newc cpio) to OUT: busybox-static, guest-init.sh as /init, and
# the modules it needs to reach the host's root, copied from
# /lib/modules/KERNEL_VERSION in the order modprobe would load them.
set -euo pipefail

version=$1
out=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")

# virtio_pci finds the devices, 9pnet_virtio and 9p mount the shares (they
# need netfs and fscache), overlay puts the tmpfs on top, virtio_blk gives
# the guest its disk (run-vm.sh's empty /dev/vda, for the block I/O limits).
modules=(virtio_pci 9pnet_virtio 9p overlay virtio_blk)

busybox=$(command -v busybox || true)
# the initramfs has no shared libraries: busybox must have no ELF interpreter
if [ -z "$busybox" ] || readelf -l "$busybox" | grep -q INTERP; then
  echo "build-initramfs: needs a static busybox (apt-get install busybox-static)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/mini-run-initramfs.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/modules" "$dir/proc" "$dir/sys" "$dir/dev"
cp "$busybox" "$dir/bin/busybox"
cp "$here/guest-init.sh" "$dir/init"
chmod 0755 "$dir/init"

# --show-depends prints "insmod PATH" lines, dependencies first, for a module
# and every one it needs (builtin ones as "builtin NAME"): keep the first
# occurrence of each.
: >"$dir/modules/order"
for m in "${modules[@]}"; do
  modprobe -S "$version" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r path; do
  name=$(basename "$path")
  case $name in
    *.ko) cp "$path" "$dir/modules/$name" ;;
    *.ko.xz) xz -dc "$path" >"$dir/modules/${name%.xz}"; name=${name%.xz} ;;
    *.ko.zst) zstd -dcq "$path" >"$dir/modules/${name%.zst}"; name=${name%.zst} ;;
    *) echo "build-initramfs: unexpected module file $path" >&2; exit 1 ;;
  esac
  echo "$name" >>"$dir/modules/order"
done
if [ ! -s "$dir/modules/order" ]; then
  echo "build-initramfs: modprobe found none of ${modules[*]} for kernel $version" >&2
  exit 1
fi

(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$out"
