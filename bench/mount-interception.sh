#!/usr/bin/env bash
# What intercepting mount(2) costs (jsysbox-fs answers every mount inside a system container: procfs and sysfs ones it
# makes, the others go on to the kernel). Measured in one run, each against a runc container of the same image:
#   - an ordinary mount (tmpfs) and its umount, which the agent passes on to the kernel (one round trip);
#   - a procfs mount and its umount, which jsysbox-fs makes (nsenter + mount, moved in, virtual files locked on it);
#   - a sysinfo(2) call (answered by the agent inside), also as calls per second against runc's and the host's;
#   - an inner `docker run --rm busybox true` in jsysbox/dind, against the same in a jsysbox/dind whose environment says
#     JSYSBOX_MOUNT_INTERCEPTION=off (its mounts go to the kernel unseen, its virtual files unlocked), runs interleaved.
# Usage: bench/mount-interception.sh [N [RUNS]]   (N calls per kind, default 1000; RUNS inner runs each, default 7).
# Needs root and an installed jsysbox.
set -euo pipefail

n=${1:-1000}
runs=${2:-7}
. "$(dirname "$0")/preconditions.sh"
need_positive "N and RUNS" "$n" "$runs"
need_root
need_images jsysbox/dind:latest
need_jsysbox_runtime

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
unseen=$(docker run -d --runtime=jsysbox -e JSYSBOX_MOUNT_INTERCEPTION=off jsysbox/dind:latest)
containers+=("$unseen")

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

# sysinfo calls per second: inside jsysbox and runc containers and on the host, 20 N calls each (perl's start, timed
# alone, taken off).
calls=$((20 * n))
per_second() { awk -v t="$1" -v b="$2" -v n="$calls" 'BEGIN { printf "%.0f", (t > b ? n * 1000 / (t - b) : 0) }'; }
jsysbox_rate=$(per_second "$(ms docker exec "$box" perl -e "$(loop sysinfo "$calls")")" "$(ms docker exec "$box" perl -e 1)")
runc_rate=$(per_second "$(ms docker exec "$plain" perl -e "$(loop sysinfo "$calls")")" "$(ms docker exec "$plain" perl -e 1)")
host_rate=$(per_second "$(ms perl -e "$(loop sysinfo "$calls")")" "$(ms perl -e 1)")
echo "  sysinfo calls/s ($calls calls): jsysbox $jsysbox_rate, runc $runc_rate, host $host_rate"

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for engine in "$dind" "$unseen"; do
  until docker exec "$engine" docker run --rm busybox true >/dev/null 2>&1; do sleep 1; done
done
with=(); without=()
for _ in $(seq "$runs"); do
  with+=("$(ms docker exec "$dind" docker run --rm busybox true)")
  without+=("$(ms docker exec "$unseen" docker run --rm busybox true)")
done
with_median=$(median "${with[@]}")
without_median=$(median "${without[@]}")
echo "  inner docker run --rm busybox true, medians of $runs interleaved: intercepted ${with_median} ms (${with[*]}),"\
  "not intercepted ${without_median} ms (${without[*]}): ratio $(awk -v a="$with_median" -v b="$without_median" \
  'BEGIN { printf "%.3f", a / b }')"
