#!/bin/busybox sh
# PID 1 of the test VM (the initramfs's /init; see build-initramfs.sh).
#
# It builds the root the tests run in: the host's / over 9p, read-only, with
# a tmpfs overlay on top so tests can write anywhere and the host never sees
# it; a fresh proc, sys, dev and a pure cgroup v2 hierarchy (the kernel was
# booted with cgroup_no_v1=all); and the job directory, the one host
# directory shared read-write. It then runs the job's script in that root,
# writes its exit status next to it and powers off.
#
# PID 1 stays in the initramfs (see the mount --move below) so that it can
# still record the status and power off whatever the job did to its root.

/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

fail() {
  echo "vm-init: $*" >&2
  # status 255: the harness tells an init failure from the job's own status
  [ -d /job ] && mountpoint -q /job && echo 255 >/job/status && sync
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# Modules in dependency order, as `modprobe --show-depends` listed them on
# the host (build-initramfs.sh); the initramfs has no modules.dep.
while read -r module; do
  insmod "/modules/$module" || fail "insmod $module"
done </modules/order

opts=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /job /lower /rw /newroot
mount -t 9p -o "$opts" job /job || fail 'mount the job directory (9p tag "job")'
# cache=loose: the lower layer does not change under the tests, and Node
# reads thousands of files at start-up; caching their metadata and pages in
# the guest is what makes that bearable over 9p.
mount -t 9p -o "$opts,cache=loose,ro" hostroot /lower || fail 'mount the host root (9p tag "hostroot")'
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
# 9p is a "remote" filesystem to overlayfs: the features that keep state in
# xattrs or need to follow renames on the lower layer are turned off.
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,index=off,redirect_dir=off,metacopy=off,xino=off overlay /newroot ||
  fail 'mount the overlay on the host root'

r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t cgroup2 -o nsdelegate cgroup2 $r/sys/fs/cgroup || fail 'mount cgroup2'
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
# Writable layers and image stores must not be on the overlay: overlayfs
# cannot be the upper layer of the containers' own overlays.
for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs $r$d; done
# ...which hides the project if it was cloned under them: put it back,
# writable, as an overlay of its own over the host's (read-only) copy
proj=$(cat /job/project 2>/dev/null || true)
case "$proj" in
  /tmp/*|/var/tmp/*)
    mkdir -p /rw/proj-upper /rw/proj-work $r$proj
    mount -t overlay -o lowerdir=/lower$proj,upperdir=/rw/proj-upper,workdir=/rw/proj-work,index=off,redirect_dir=off,metacopy=off,xino=off overlay $r$proj ||
      fail "mount the project at $proj"
    ;;
esac
# The build the harness copied when it started (run-vm.sh), over the
# project's own: the host may be rebuilding that one while the VM runs. In
# the tmpfs, so that Node reads it from memory, not over 9p each start.
if [ -n "$proj" ]; then
  cp -a /job/build /rw/build || fail 'copy the build from the job directory'
  mount --bind /rw/build/dist $r$proj/dist || fail "mount the build over $proj/dist"
  mount --bind /rw/build/native $r$proj/native/build || fail "mount the build over $proj/native/build"
fi
mount -t tmpfs -o mode=0755 tmpfs $r/run
mkdir -p $r/run/vm-job
mount --bind /job $r/run/vm-job

# The new root goes on top of the initramfs's /, as switch_root puts it, not
# merely under a chroot: a mount namespace's root is the initramfs, and
# setns(CLONE_NEWNS) gives a process the topmost mount stacked on it
# (mntns_install). A container started from a chroot would have the
# initramfs as its namespace's root, and `mini-run exec` would land there.
# PID 1 keeps the initramfs as its own root: it looks up /job and busybox
# from there, under the moved mount, and never sees the new root.
cd $r && mount --move . / || fail 'move the new root onto /'

echo "vm-init: booted in $(cut -d' ' -f1 /proc/uptime)s, running the job"
# Through a pipe, not the serial tty: the job's output is a log to read
# (vitest draws progress bars on a terminal).
(
  chroot . /run/vm-job/job.sh </dev/null
  echo $? >/job/status
) 2>&1 | cat >/dev/console
sync
poweroff -f
