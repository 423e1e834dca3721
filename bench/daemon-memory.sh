#!/usr/bin/env bash
# Resident memory (VmRSS) of jsysbox-mgr and jsysbox-fs: fresh (both restarted; running containers go on), then with
# each number of containers given running at once, each reading its /proc/meminfo, cpuinfo and stat every second
# (a monitoring agent's load). Prints MiB per daemon, their sum and the growth per container over the fresh sum.
# Usage: bench/daemon-memory.sh [COUNT...]   (default: 10 50). Needs root, an installed jsysbox and jsysbox/busybox.
set -euo pipefail

counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10 50)
image=jsysbox/busybox:latest
label=jsysbox.bench=daemon-memory
. "$(dirname "$0")/preconditions.sh"
need_positive "COUNT" "${counts[@]}"
need_root
need_images "$image"
need_jsysbox_runtime

cleanup() {
  local ids
  ids=$(docker ps -aq --filter "label=$label")
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
}
trap cleanup EXIT

rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$(cat "/run/jsysbox/$1.pid")/status"; }

report() {
  local what=$1 mgr fs
  mgr=$(rss_mib mgr)
  fs=$(rss_mib fs)
  printf '%-22s %10s %10s %10s' "$what" "$mgr" "$fs" "$(awk -v a="$mgr" -v b="$fs" 'BEGIN { printf "%.1f", a + b }')"
  if [ -n "${fresh_sum:-}" ]; then
    awk -v a="$mgr" -v b="$fs" -v f="$fresh_sum" -v n="$2" 'BEGIN { printf " %12.2f", (a + b - f) / n }'
  fi
  echo
}

echo "restarting jsysbox-mgr and jsysbox-fs ..."
jsysbox restart >/dev/null
sleep 5
printf '%-22s %10s %10s %10s %12s\n' "" "mgr MiB" "fs MiB" "sum MiB" "MiB/container"
report "fresh"
fresh_sum=$(awk -v a="$(rss_mib mgr)" -v b="$(rss_mib fs)" 'BEGIN { printf "%.1f", a + b }')
running=0
for count in "${counts[@]}"; do
  while [ "$running" -lt "$count" ]; do
    docker run -d --label "$label" --runtime=jsysbox "$image" \
      sh -c 'while :; do cat /proc/meminfo /proc/cpuinfo /proc/stat >/dev/null; sleep 1; done' >/dev/null
    running=$((running + 1))
  done
  sleep 10
  report "$count containers" "$count"
done
