#!/usr/bin/env bash
# What intercepting mount(2) costs (jsysbox-fs answers every mount inside a system container: procfs and sysfs ones it
# makes, the others go on to the kernel). Measured in one run, each against a runc container of the same image:
#   - an ordinary mount (tmpfs) and its umount, which the agent passes on to the kernel (one round trip);
#   - a procfs mount and its umount, which jsysbox-fs makes (nsenter + mount, moved in, virtual files locked on it);
#   - a sysinfo(2) call (answered by the agent inside);
#   - and, for scale, an inner `docker run --rm busybox true` in jsysbox/dind, which makes one procfs and one sysfs
#     mount and a few dozen others: the overhead printed is what those cost, as a share of the whole run.
# Usage: bench/mount-interception.sh [N]   (N calls per kind, default 1000). Needs root and an installed jsysbox.
set -euo pipefail

n=${1:-1000}
case "$n" in ''|*[!0-9]*|0) echo "mount-interception: N must be a positive integer, got '$n'" >&2; exit 1 ;; esac
[ "$(id -u)" = 0 ] || { echo "mount-interception: run as root" >&2; exit 1; }
for image in jsysbox/dind:latest; do
  docker image inspect "$image" >/dev/null 2>&1 \
    || { echo "mount-interception: image $image missing: run installer/images/build-images.sh" >&2; exit 1; }
done
grep -q '"jsysbox"' <<<"$(docker info --format '{{json .Runtimes}}')" \
  || { echo "mount-interception: Docker has no jsysbox runtime: run installer/install.sh" >&2; exit 1; }

work=$(mktemp -d)
containers=()
cleanup() {
  [ ${#containers[@]} = 0 ] || docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The same syscalls from the same perl (jsysbox/dind's), in a loop of one process: mount and umount2 of KIND N times
# under /m, or sysinfo N times. No process is started per call, so what differs is the interception.
loop() {
  case "$1" in
    sysinfo) echo 'my $b = "\0" x 112; for (1..'"$2"') { syscall(99, $b) == 0 or die "sysinfo: $!" }' ;;
    *) echo 'mkdir "/m"; my ($t, $m) = ("'"$1"'", "/m"); for (1..'"$2"') { syscall(165, $t, $m, $t, 0, 0) == 0 or die "mount: $!";'\
         ' syscall(166, $m, 2) == 0 or die "umount: $!" }' ;;
  esac
}
ms() { local start=$(($(date +%s%N) / 1000000)); "$@" >/dev/null; echo $(( $(date +%s%N) / 1000000 - start )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

box=$(docker run -d --runtime=jsysbox --memory 256m --entrypoint sleep jsysbox/dind:latest 3600)
containers+=("$box")
plain=$(docker run -d --runtime=runc --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  --security-opt apparmor=unconfined --entrypoint sleep jsysbox/dind:latest 3600)
containers+=("$plain")
dind=$(docker run -d --runtime=jsysbox jsysbox/dind:latest)
containers+=("$dind")

echo "mount-interception: $n calls of each kind (µs per call or mount+umount pair, jsysbox vs runc, same perl)"
declare -A added
for kind in tmpfs proc sysinfo; do
  inside=$(ms docker exec "$box" perl -e "$(loop "$kind" "$n")")
  anchor=$(ms docker exec "$plain" perl -e "$(loop "$kind" "$n")")
  # docker exec's and perl's start, taken off each (jsysbox's exec starts its runtime's JVM)
  in_base=$(ms docker exec "$box" perl -e 1)
  anchor_base=$(ms docker exec "$plain" perl -e 1)
  in_call=$(awk -v t="$inside" -v b="$in_base" -v n="$n" 'BEGIN { printf "%.0f", 1000 * (t - b) / n }')
  anchor_call=$(awk -v t="$anchor" -v b="$anchor_base" -v n="$n" 'BEGIN { printf "%.0f", 1000 * (t - b) / n }')
  added[$kind]=$((in_call - anchor_call))
  echo "  $kind: jsysbox ${in_call} µs, runc ${anchor_call} µs, ratio $(ratio "$in_call" "$anchor_call"), added ${added[$kind]} µs"
done

until docker exec "$dind" docker run --rm busybox true >/dev/null 2>&1; do sleep 1; done
runs=()
for _ in 1 2 3 4 5; do runs+=("$(ms docker exec "$dind" docker run --rm busybox true)"); done
median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)
# An inner run: one procfs and one sysfs mount made by jsysbox-fs (a sysfs costs about what a procfs does), and the
# ordinary mounts runc makes (rootfs, /dev, devpts, shm, mqueue, cgroup, masks, read-only paths, pivot): about 30.
share=$(awk -v p="${added[proc]}" -v t="${added[tmpfs]}" -v m="$median" 'BEGIN { a = (2 * p + 30 * t) / 1000;
  printf "%.1f ms (%.1f %%)", a, 100 * a / m }')
echo "  inner docker run --rm busybox true: median ${median} ms of 5 (${runs[*]}); interception's share ~${share}"
