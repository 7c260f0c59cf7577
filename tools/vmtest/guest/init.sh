#!/bin/busybox sh
# PID 1 of the vmtest initramfs. The host's / (9p, read-only: qemu enforces readonly=on) becomes
# the lower layer of an overlay whose upper layer is a tmpfs, so the guest can write without
# touching the host. The command's stdout+stderr go to ttyS0 (the runner's stdout); kernel
# messages and the "vmtest-rc=N" status line go to ttyS1 (a log file on the host).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

log() { echo "vmtest-init: $*" >/dev/ttyS1; }
# No vmtest-rc line: the runner reports the boot as failed, with this log's tail.
die() { log "$*"; poweroff -f; }
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^vmtest\.$1=//p"; }

for m in $(cat /modules.list); do
  insmod "/lib/modules/$m.ko" || log "insmod $m failed"
done

R=/newroot
kver=$(uname -r)
kmods=$(arg kmods)
out=$(arg out)
mkdir -p /mnt/lower /mnt/rw
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /mnt/lower ||
  die "mounting the host root over 9p failed"
mount -t tmpfs -o mode=755 tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work $R ||
  die "mounting the overlay root failed"

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs tmpfs $R/run
mount -t bpf bpf $R/sys/fs/bpf || die "mounting bpffs failed"
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || die "mounting cgroup2 failed"
mount -t tracefs tracefs $R/sys/kernel/tracing || log "mounting tracefs failed"
mount -t debugfs debugfs $R/sys/kernel/debug || log "mounting debugfs failed"
mount -t securityfs securityfs $R/sys/kernel/security || log "mounting securityfs failed"

# The 9p mount itself, so a test can prove qemu refuses writes even after a remount rw.
mkdir -p $R/run/vmtest-hostroot
mount --bind /mnt/lower $R/run/vmtest-hostroot

# The one writable share: the runner's per-boot output directory, at the same path as on the host.
if [ -n "$out" ]; then
  mount -t 9p -o trans=virtio,version=9p2000.L,cache=none vmout "$R$out" || die "mounting the output share failed"
fi

# request_module() runs /sbin/modprobe in PID 1's root (this initramfs), not in the chroot:
# both need the module tree and a modprobe.
if [ -n "$kmods" ] && [ -d "$R$kmods" ]; then
  mkdir -p "/lib/modules/$kver" /sbin "$R/lib/modules/$kver"
  ln -sf /bin/busybox /sbin/modprobe
  mount --bind "$R$kmods" "/lib/modules/$kver"
  mount --bind "$R$kmods" "$R/lib/modules/$kver"
  [ -e $R/sbin/modprobe ] || ln -s /bin/busybox $R/sbin/modprobe
fi

hostname vm
ip link set lo up
stty -F /dev/ttyS0 raw -echo
# The command writes into a fifo, not the serial tty: programs must see a pipe, as under CI.
mkfifo /stdout
cat /stdout >/dev/ttyS0 &
catpid=$!
chroot $R /bin/bash "$(arg cmd)" </dev/null >/stdout 2>&1
rc=$?
# A background process still holding the fifo must not block the power-off for long.
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $catpid 2>/dev/null || break; sleep 0.2; done
[ -n "$out" ] && umount "$R$out"
echo "vmtest-rc=$rc" >/dev/ttyS1
poweroff -f
