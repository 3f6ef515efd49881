#!/usr/bin/env bash
# extract-vmlinux.sh BZIMAGE OUT: write the uncompressed ELF kernel inside a
# bzImage to OUT.
#
# Why: QEMU boots an ELF vmlinux through its PVH entry point (the Xen
# PHYS32_ENTRY note, CONFIG_PVH) straight into 64-bit code, skipping real
# mode, the setup code and the self-decompression; under TCG that is most of
# the boot time.
#
# Unlike the kernel tree's scripts/extract-vmlinux, which tries every offset
# where a compression magic appears, this reads where the payload is from the
# boot protocol header (Documentation/arch/x86/boot.rst): setup_sects at
# 0x1f1, payload_offset at 0x248 and payload_length at 0x24c, the offset
# counted from the protected-mode code that starts after the setup sectors.
set -euo pipefail

bzimage=$1
out=$2

u8() { od -An -tu1 -j "$1" -N1 "$bzimage" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 "$bzimage" | tr -d ' '; }

if [ "$(od -An -c -j 0x202 -N4 "$bzimage" | tr -d ' ')" != HdrS ]; then
  echo "extract-vmlinux: $bzimage is not a bzImage (no HdrS boot header)" >&2
  exit 1
fi
setup_sects=$(u8 $((0x1f1)))
[ "$setup_sects" -eq 0 ] && setup_sects=4 # boot.rst: 0 means 4
payload_offset=$(u32 $((0x248)))
payload_length=$(u32 $((0x24c)))
start=$(((setup_sects + 1) * 512 + payload_offset))

payload() { dd if="$bzimage" iflag=skip_bytes,count_bytes skip="$start" count="$1" bs=1M status=none; }

# arch/x86/boot/compressed/Makefile appends the uncompressed size (4 bytes)
# to every payload but gzip's, whose trailer already holds it.
magic=$(payload 6 | od -An -tx1 | tr -d ' \n')
case $magic in
  1f8b*) payload "$payload_length" | gzip -dc >"$out" ;;
  fd377a585a00) payload "$((payload_length - 4))" | xz -dc >"$out" ;;
  28b52ffd*) payload "$((payload_length - 4))" | zstd -dcq >"$out" ;;
  02214c18*) payload "$((payload_length - 4))" | lz4 -dcq >"$out" ;;
  *)
    echo "extract-vmlinux: $bzimage: unsupported payload compression (magic $magic)" >&2
    exit 1
    ;;
esac

if [ "$(od -An -c -N4 "$out" | tr -d ' ')" != '177ELF' ]; then
  echo "extract-vmlinux: the payload of $bzimage did not decompress to an ELF file" >&2
  exit 1
fi
