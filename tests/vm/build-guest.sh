#!/usr/bin/env bash
# Builds a VM guest disk for tests/vm/run-guest.sh, offline from Debian packages (no registry but Debian's mirror):
#
#   tests/vm/build-guest.sh bookworm   Debian 12: systemd, cgroup v2, AppArmor on (apparmor package), kernel 6.1,
#                                      docker.io 20.10, containerd 1.6, runc 1.1
#   tests/vm/build-guest.sh sid        Debian sid: docker.io 28.x + docker-cli, containerd 2.x, runc 1.3, newest kernel
#   tests/vm/build-guest.sh trixie     Debian 13 (docker.io 26.1, containerd 1.7, runc 1.1.15, kernel 6.12)
#
# Output, in /var/cache/jsysbox/vm/NAME/: disk.img (raw ext4, labelled jsysbox-root), vmlinuz and initrd.img (the
# guest's own, booted with qemu's -kernel/-initrd: no boot loader to install), packages.txt (versions), build.log,
# and stamp: the hash of this script's text and NAME. A guest whose stamp matches is kept (prints "current");
# any change to this script rebuilds it. JSYSBOX_VM_REBUILD=1 rebuilds anyway.
#
# The guest: root without a password (autologin on the serial console ttyS0), systemd-networkd with DHCP on the
# qemu user network, and jsysbox-vm-payload.service, which at boot mounts the read-only disk with serial
# "payload" (when there is one: without it the guest just boots, for use by hand), runs its run.sh, writes the
# output to the virtio serial port "results" and the console, tars logs onto the raw disk with serial "artifacts",
# and powers off. The jsysbox build, the images and the checks come on that payload disk, so a guest disk needs
# rebuilding only for a different Debian, never for a different jsysbox.
set -euo pipefail

name=${1:-}
mirror=${JSYSBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=/var/cache/jsysbox/vm
disk_size=${JSYSBOX_VM_DISK_SIZE:-12G}

# What the checks need in every guest: a booting systemd, a kernel, the container stack (docker.io pulls containerd
# and runc), uidmap (newuidmap for rootless tools inside), iproute2 and procps (the checks, jsysbox doctor), kmod
# (dockerd and the install modprobe overlay/fuse), iptables (dockerd's bridge network), containernetworking-plugins
# (the CNI bridge of the CRI pod check: containerd's CRI gives a pod no network without one).
common=systemd,systemd-sysv,udev,dbus,linux-image-amd64,kmod,docker.io,containerd,runc,uidmap,iproute2,procps,iptables,ca-certificates,less,containernetworking-plugins
case $name in
  bookworm) suite=bookworm packages=$common,apparmor ;;      # AppArmor userland: Docker then confines with docker-default
  trixie) suite=trixie packages=$common,docker-cli,apparmor ;;  # trixie splits the CLI out of docker.io too
  sid) suite=sid packages=$common,docker-cli ;;              # sid splits the CLI out of docker.io; no apparmor userland
  *) echo "usage: $0 bookworm|trixie|sid" >&2; exit 2 ;;
esac

die() { echo "build-guest: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap missing: apt-get install debootstrap"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing: apt-get install e2fsprogs"

# The guest's configuration, written into our own fresh debootstrap output ($1). Its text is part of the stamp.
configure_guest() {
  local rootfs=$1
  echo "jsysbox-$name" >"$rootfs/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 jsysbox-%s\n' "$name" >"$rootfs/etc/hosts"
  echo 'LABEL=jsysbox-root / ext4 defaults,errors=remount-ro 0 0' >"$rootfs/etc/fstab"
  chroot "$rootfs" passwd -d root >/dev/null
  # A login prompt nobody answers would only clutter the console: root is logged in on ttyS0 (for a run by hand).
  mkdir -p "$rootfs/etc/systemd/system/serial-getty@ttyS0.service.d"
  cat >"$rootfs/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
EOF
  cat >"$rootfs/etc/systemd/network/50-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
  chroot "$rootfs" systemctl enable systemd-networkd.service >/dev/null 2>&1
  # Under TCG, timers that fire at boot (apt, man-db, e2scrub, fstrim) only steal CPU from the checks.
  for timer in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do
    chroot "$rootfs" systemctl mask "$timer" >/dev/null 2>&1 || true
  done
  # Journald to the disk too: the artifacts carry journalctl's output.
  mkdir -p "$rootfs/var/log/journal"

  cat >"$rootfs/usr/local/sbin/jsysbox-vm-payload" <<'EOF'
#!/bin/bash
# Runs the payload's run.sh (from the disk with serial "payload"), its output to the virtio port "results" and to
# the console; then logs onto the raw disk "artifacts" as a tar; then powers off at once (the run's overlay is
# thrown away, so nothing needs a clean shutdown). Without a payload disk it does nothing: the guest is used by hand.
payload=/dev/disk/by-id/virtio-payload
for _ in $(seq 1 30); do [ -e "$payload" ] && break; sleep 1; done
[ -e "$payload" ] || { echo "jsysbox-vm-payload: no payload disk: nothing to run"; exit 0; }
mkdir -p /mnt/payload
mount -o ro "$payload" /mnt/payload || { echo "jsysbox-vm-payload: cannot mount the payload disk"; systemctl poweroff -ff; }
results=/dev/virtio-ports/results
[ -e "$results" ] || results=/dev/null
mkdir -p /var/tmp/artifacts
bash /mnt/payload/run.sh 2>&1 | tee /var/tmp/artifacts/run.log >"$results"
echo "jsysbox-vm-payload: run.sh exited ${PIPESTATUS[0]}" | tee -a /var/tmp/artifacts/run.log >"$results"
artifacts=/dev/disk/by-id/virtio-artifacts
if [ -e "$artifacts" ]; then
  journalctl -b --no-pager -o short-monotonic >/var/tmp/artifacts/journal.txt 2>&1
  cp -r /var/log/jsysbox /var/tmp/artifacts/ 2>/dev/null
  tar -C /var/tmp -czf "$artifacts" artifacts 2>/dev/null
fi
sync
systemctl poweroff -ff
EOF
  chmod 0755 "$rootfs/usr/local/sbin/jsysbox-vm-payload"
  cat >"$rootfs/etc/systemd/system/jsysbox-vm-payload.service" <<'EOF'
[Unit]
Description=jsysbox VM test payload
After=basic.target network.target docker.service containerd.service systemd-udev-settle.service
Wants=docker.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/jsysbox-vm-payload
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
  chroot "$rootfs" systemctl enable jsysbox-vm-payload.service >/dev/null 2>&1
}

out=$cache/$name
# What makes a guest: the suite, the packages, the configuration and the disk size. Editing anything else in this
# script (messages, the build steps' order) keeps the cached guests.
stamp=$( (echo "$suite $packages $disk_size"; declare -f configure_guest) | sha256sum | cut -c1-16)
if [ "${JSYSBOX_VM_REBUILD:-0}" != 1 ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ] \
  && [ -f "$out/disk.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
  echo "guest $name is current ($out)"
  exit 0
fi

started=$(date +%s)
mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-$name.XXXXXX")
rootfs=$work/rootfs
# debootstrap leaves /proc, /sys (and on failure more) mounted in the root it builds: unmount anything under the
# work dir before removing it, and never let rm cross into another file system.
cleanup() {
  local m
  for m in $(awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

log=$work/build.log
echo "building guest $name: debootstrap $suite ($packages) ..."
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  die "debootstrap $suite failed (log above)"
fi
echo "debootstrap done in $(( $(date +%s) - started ))s"

configure_guest "$rootfs"

chroot "$rootfs" dpkg-query -W -f='${Package} ${Version}\n' >"$work/packages.txt"
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)
initrd=$rootfs/boot/initrd.img-${kernel##*/vmlinuz-}
[ -f "$kernel" ] && [ -f "$initrd" ] || die "no kernel or initrd in the guest's /boot"
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
rm -f "$rootfs"/var/cache/apt/archives/*.deb

echo "mkfs.ext4 -d (${disk_size}, sparse) ..."
truncate -s "$disk_size" "$work/disk.img"
mkfs.ext4 -q -F -L jsysbox-root -d "$rootfs" "$work/disk.img" >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "mkfs.ext4 -d failed"; }
echo "$stamp" >"$work/stamp"

# Swap in the new guest: rootfs first out of the way (it is not kept: the disk holds it).
rm -rf --one-file-system "$rootfs"
mkdir -p "$out"
rm -f "$out"/{disk.img,vmlinuz,initrd.img,stamp,packages.txt,build.log}
mv "$work"/{disk.img,vmlinuz,initrd.img,packages.txt,build.log} "$out/"
mv "$work/stamp" "$out/stamp"
seconds=$(( $(date +%s) - started ))
echo "built guest $name in ${seconds}s: $out ($(grep -E '^(linux-image-[0-9][^ ]*|docker.io|docker-cli|containerd|runc|systemd|apparmor) ' "$out/packages.txt" | tr '\n' ',' | sed 's/,$//'))"
