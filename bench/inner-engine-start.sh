#!/usr/bin/env bash
# Time to a working inner engine: from `docker run -d` of jsysbox/dind to the first `docker run --rm busybox true`
# inside that succeeds, with jsysbox against what users run without it: runc with --privileged and an anonymous
# volume on /var/lib/docker (as docker:dind's VOLUME gives it, so the inner engine gets overlay2 there too). The same
# image and init under both (containerd, then dockerd, then busybox imported from a tarball), runs interleaved.
# Usage: bench/inner-engine-start.sh [N]   (N runs per runtime, default 5). Needs root and an installed jsysbox.
set -euo pipefail

n=${1:-5}
image=jsysbox/dind:latest
. "$(dirname "$0")/preconditions.sh"
need_positive N "$n"
need_root
need_images "$image"
need_jsysbox_runtime

work=$(mktemp -d)
container=
cleanup() {
  [ -z "$container" ] || docker rm -f -v "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# time_to_inner_run FILE RUN-ARGS...: starts the image with RUN-ARGS, waits (up to 300 s) for an inner docker run to
# succeed, appends the ms it took to FILE and removes the container with its anonymous volumes.
time_to_inner_run() {
  local out=$1 start deadline
  shift
  start=$(now_ms)
  deadline=$((SECONDS + 300))
  container=$(docker run -d --label jsysbox.test=bench "$@" "$image")
  until docker exec "$container" docker run --rm busybox true >/dev/null 2>&1; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$container")" != true ] || [ "$SECONDS" -ge "$deadline" ]; then
      echo "inner-engine-start: no working inner engine with '$*':" >&2
      docker logs --tail 20 "$container" >&2 2>&1
      exit 1
    fi
    sleep 0.2
  done
  echo $(($(now_ms) - start)) >>"$out"
  docker rm -f -v "$container" >/dev/null
  container=
}

# min median max of the numbers in a file
stats() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[1], (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[NR] }'
}

# --privileged asks runc for every capability, which fails where the host's bounding set lacks some ("unable to apply
# caps"); then the anchor is what --privileged gives minus those: each capability the host allows, no seccomp, no
# AppArmor, no masked or read-only /proc and /sys paths, every device in the device cgroup, the cgroup tree writable.
privileged=(--privileged)
if ! docker run --rm --privileged jsysbox/busybox:latest true >/dev/null 2>&1; then
  names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE
    NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN
    SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE
    MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)
  mask=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
  privileged=(--security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined
    --device-cgroup-rule 'a *:* rwm' --mount type=bind,src=/sys/fs/cgroup,dst=/sys/fs/cgroup)
  for bit in "${!names[@]}"; do
    [ $((mask >> bit & 1)) = 0 ] && continue
    # Engines older than the capability (Docker 20.10 and CAP_BPF…) refuse its name.
    [ "$bit" -lt 38 ] || docker run --rm --cap-add "${names[$bit]}" jsysbox/busybox:latest true >/dev/null 2>&1 || continue
    privileged+=(--cap-add "${names[$bit]}")
  done
  echo "--privileged fails here (the host's bounding set lacks capabilities): the anchor has $(( (${#privileged[@]} - 10) / 2 )) capabilities, no seccomp or AppArmor, unmasked /proc and /sys, all devices, a writable cgroup tree"
fi
privileged+=(--mount type=volume,dst=/var/lib/docker)
echo "$image to a working inner docker run, $n runs per runtime, interleaved ..."
for _ in $(seq "$n"); do
  time_to_inner_run "$work/runc" "${privileged[@]}"
  time_to_inner_run "$work/jsysbox" --runtime=jsysbox
done

read -r runc_min runc_median runc_max < <(stats "$work/runc")
read -r jsysbox_min jsysbox_median jsysbox_max < <(stats "$work/jsysbox")
printf '\n%-36s %8s %8s %8s\n' "" "min ms" "median" "max"
printf '%-36s %8s %8s %8s\n' "runc, privileged (+ volume)" "$runc_min" "$runc_median" "$runc_max"
printf '%-36s %8s %8s %8s\n' "jsysbox (unprivileged)" "$jsysbox_min" "$jsysbox_median" "$jsysbox_max"
awk -v j="$jsysbox_median" -v r="$runc_median" 'BEGIN { printf "\nratio jsysbox/privileged runc (median): %.2f\n", (r > 0 ? j / r : 0) }'
