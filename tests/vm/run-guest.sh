#!/usr/bin/env bash
# Boots a VM guest (tests/vm/build-guest.sh NAME, cached) under qemu TCG and runs tests/vm/guest-checks.sh in it
# against the jsysbox INSTALLED on this host: /usr/local/lib/jsysbox and the /usr/local/bin/jsysbox* launchers
# (installer/install.sh builds them; the guest gets a copy, no Maven there), the test images jsysbox/dind,
# jsysbox/systemd, jsysbox/podman and jsysbox/busybox (installer/images/build-images.sh), saved with `docker save`, and
# the compiled CRI check (tests/target/test-classes: io.jsysbox.tests.CriPodCheck, run in the guest with the installed
# runtime's Java).
#
#   tests/vm/run-guest.sh bookworm|trixie|sid
#
# Prints each check's line (CHECK <name> PASS|FAIL <seconds>, evidence under a failure) as the guest runs it, then a
# summary; exits 0 only when every check passed and the run finished. Kept in /var/tmp/jsysbox-vm/NAME/ (replaced by
# the next run of NAME): results.log (the checks' output), console.log (the guest's serial console: kernel, systemd),
# artifacts/ (the guest's journal and /var/log/jsysbox), payload.txt (what was tested).
# Environment: JSYSBOX_VM_TIMEOUT (seconds for the whole boot+checks, default 2700), JSYSBOX_VM_MEMORY (MiB, 4096),
# JSYSBOX_VM_CPUS (2), JSYSBOX_VM_CHECKS (space-separated check names to run, default all).
#
# Why TCG: /dev/kvm exists on the project's machines but the hypervisor is PVM and KVM guests stall. Why one thread
# for both vCPUs (thread=single): with multi-threaded TCG, JVMs in the guest now and then died of SIGSEGV at the first
# instruction of a freshly JIT-compiled method (a CI run lost jsysbox-mgr --help and jsysbox-fs's start that way) —
# code one vCPU patches while another runs it; run one at a time, the emulator sees every write to code before it runs.
# Why qemu's default CPU model (qemu64, no AVX): users copy installs between CPUs; a guest without AVX is where AOT caches trained on
# another CPU crashed (issue 12).
set -euo pipefail

name=${1:-}
case $name in bookworm|trixie|sid) ;; *) echo "usage: $0 bookworm|trixie|sid" >&2; exit 2 ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=/var/cache/jsysbox/vm/$name
out=${JSYSBOX_VM_OUT:-/var/tmp/jsysbox-vm/$name}
timeout=${JSYSBOX_VM_TIMEOUT:-2700}
images=(jsysbox/dind:latest jsysbox/systemd:latest jsysbox/podman:latest jsysbox/busybox:latest)
classes=$(cd "$here/.." && pwd)/target/test-classes

die() { echo "run-guest: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v qemu-img >/dev/null; then
  echo "run-guest: installing qemu-system-x86 qemu-utils"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends qemu-system-x86 qemu-utils </dev/null >/dev/null
fi

# What the guest tests must be there: say what to run instead of testing half an install.
[ -x /usr/local/lib/jsysbox/jre/bin/java ] || die "/usr/local/lib/jsysbox is not installed: run installer/install.sh first"
for launcher in jsysbox jsysbox-runc jsysbox-mgr jsysbox-fs; do
  [ -x "/usr/local/bin/$launcher" ] || die "/usr/local/bin/$launcher missing: run installer/install.sh first"
done
for image in "${images[@]}"; do
  docker image inspect "$image" >/dev/null 2>&1 || die "image $image missing: run installer/images/build-images.sh first"
done
[ -f "$classes/io/jsysbox/tests/CriPodCheck.class" ] \
  || die "$classes has no CriPodCheck.class: build the tests first (mvn -B test-compile -pl tests -am)"

"$here/build-guest.sh" "$name"

work=$(mktemp -d /var/tmp/jsysbox-vm-run.XXXXXX)
qemu_pid=
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill -KILL "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
# --- the payload disk: read-only ext4 (labelled jsysbox-payload) made with mkfs.ext4 -d, no loop mount needed ---
payload=$work/payload
mkdir -p "$payload/jsysbox/bin"
# The installed tree as install.sh left it, minus its swap leftovers.
cp -a /usr/local/lib/jsysbox "$payload/jsysbox/lib"
rm -rf "$payload/jsysbox/lib"/*.new "$payload/jsysbox/lib"/*.old
# A copy taken while install.sh was swapping the tree would test a mix of two builds: each program's jars must match
# the sums install.sh wrote beside them.
for dir in "$payload/jsysbox/lib"/*/; do
  [ -f "$dir/jars.sha256" ] || continue
  (cd "$dir" && sha256sum --quiet -c jars.sha256) || die "the installed $(basename "$dir") does not match its jars.sha256 (an install running?): try again when it is done"
done
cp -a /usr/local/bin/jsysbox /usr/local/bin/jsysbox-runc /usr/local/bin/jsysbox-mgr /usr/local/bin/jsysbox-fs "$payload/jsysbox/bin/"
# docker save of ~1 GB takes ~30 s: kept per set of image ids (the images change only when build-images.sh does), and
# given to the guest as it is, a read-only raw disk that docker load reads like a tar file (no copy).
image_ids=$(for image in "${images[@]}"; do docker image inspect -f '{{.Id}}' "$image"; done | sha256sum | cut -c1-16)
saved=/var/cache/jsysbox/vm/images-$image_ids.tar
# Guests run side by side (tests/run.sh): one saves, the others wait for it; none removes a tar another one boots with
# (a booted guest reads its disk through qemu's open file, which a removal does not disturb).
exec {images_lock}>/var/cache/jsysbox/vm/.images.lock
flock "$images_lock"
if [ ! -f "$saved" ]; then
  rm -f /var/cache/jsysbox/vm/images-*.tar
  docker save -o "$saved.tmp" "${images[@]}"
  mv "$saved.tmp" "$saved"
fi
flock -u "$images_lock"
cp "$here/guest-checks.sh" "$payload/guest-checks.sh"
mkdir -p "$payload/cri-classes/io/jsysbox/tests"
cp "$classes"/io/jsysbox/tests/CriPodCheck*.class "$payload/cri-classes/io/jsysbox/tests/"
cp -r "$classes/io/jsysbox/tests/cri" "$payload/cri-classes/io/jsysbox/tests/"
{
  echo '#!/bin/bash'
  echo "export JSYSBOX_VM_GUEST=$name"
  printf 'export JSYSBOX_VM_CHECKS=%q\n' "${JSYSBOX_VM_CHECKS:-}"
  echo 'exec bash /mnt/payload/guest-checks.sh'
} >"$payload/run.sh"
{
  echo "guest: $name ($(cat "$cache/stamp"))"
  echo "jsysbox: $(cat /usr/local/lib/jsysbox/*/jars.sha256 | sha256sum | cut -c1-16) (hash of the installed jars)"
  for image in "${images[@]}"; do echo "image: $image $(docker image inspect -f '{{.Id}}' "$image")"; done
} >"$work/payload.txt"
size_mb=$(( $(du -sm "$payload" | cut -f1) * 11 / 10 + 64 ))
mkfs.ext4 -q -F -L jsysbox-payload -d "$payload" "$work/payload.img" "${size_mb}M" >/dev/null
rm -rf "$payload"
# The guest's root: a throw-away qcow2 overlay over the cached disk. Logs come back as a tar on a raw disk.
qemu-img create -q -f qcow2 -b "$cache/disk.img" -F raw "$work/root.qcow2"
truncate -s 4G "$work/artifacts.img"
echo "payload ready in $(( $(date +%s) - started ))s (${size_mb} MB)"

rm -rf "$out"
mkdir -p "$out"
cp "$work/payload.txt" "$out/"
: >"$out/results.log"
boot=$(date +%s)
# cache=unsafe on the overlay: it is thrown away, so its flushes need not reach the host's disk.
qemu-system-x86_64 \
  -accel tcg,thread=single -smp "${JSYSBOX_VM_CPUS:-2}" -m "${JSYSBOX_VM_MEMORY:-4096}" \
  -display none -monitor none -no-reboot \
  -serial "file:$out/console.log" \
  -kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
  -append "root=LABEL=jsysbox-root rw console=ttyS0,115200 panic=1 systemd.show_status=auto" \
  -drive "file=$work/root.qcow2,if=none,id=root,format=qcow2,cache=unsafe,discard=unmap" -device virtio-blk-pci,drive=root,serial=root \
  -drive "file=$work/payload.img,if=none,id=payload,format=raw,readonly=on" -device virtio-blk-pci,drive=payload,serial=payload \
  -drive "file=$saved,if=none,id=images,format=raw,readonly=on" -device virtio-blk-pci,drive=images,serial=images \
  -drive "file=$work/artifacts.img,if=none,id=artifacts,format=raw" -device virtio-blk-pci,drive=artifacts,serial=artifacts \
  -device virtio-serial-pci -chardev "file,id=results,path=$out/results.log" -device virtserialport,chardev=results,name=results \
  -nic user,model=virtio-net-pci -device virtio-rng-pci \
  </dev/null >"$work/qemu.out" 2>&1 &
qemu_pid=$!
echo "guest $name booting (qemu pid $qemu_pid, timeout ${timeout}s; console: $out/console.log)"

# Stream the checks' output as it comes; stop at qemu's exit or the timeout.
timed_out=0
tail -n +1 -F "$out/results.log" 2>/dev/null &
tail_pid=$!
while kill -0 "$qemu_pid" 2>/dev/null; do
  if [ $(( $(date +%s) - boot )) -ge "$timeout" ]; then
    timed_out=1
    kill -KILL "$qemu_pid" 2>/dev/null || true
    break
  fi
  sleep 2
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
sleep 1
kill "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true
run_seconds=$(( $(date +%s) - boot ))

# The artifacts disk holds a gzipped tar when the guest got that far (zeros otherwise: tar then finds nothing).
tar -C "$out" -xzf "$work/artifacts.img" 2>/dev/null || true

echo
echo "=== guest $name: $(grep -c '^CHECK ' "$out/results.log" || true) checks, boot+checks ${run_seconds}s (payload $(( boot - started ))s)"
grep '^CHECK ' "$out/results.log" || true
failed=$(grep -c '^CHECK [^ ]* FAIL' "$out/results.log" || true)
status=0
if [ "$timed_out" = 1 ]; then
  echo "run-guest: the guest did not finish within ${timeout}s; last console lines:"
  tail -n 30 "$out/console.log" | sed 's/^/    /'
  status=1
elif ! grep -q '^CHECKS DONE' "$out/results.log"; then
  echo "run-guest: the guest stopped before the checks finished (qemu: $(tr '\n' ' ' <"$work/qemu.out")); last console lines:"
  tail -n 30 "$out/console.log" | sed 's/^/    /'
  status=1
fi
[ "$failed" = 0 ] || status=1
echo "=== guest $name: $([ "$status" = 0 ] && echo PASS || echo "FAIL ($failed checks failed)"); logs in $out"
exit "$status"
