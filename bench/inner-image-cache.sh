#!/usr/bin/env bash
# The inner image cache, on and off, in one run: N jsysbox containers started one after another from one image
# preloaded (by docker commit) with an inner image of MB megabytes. For each mode it prints the host disk taken by
# inner image data (every container's special dir for /var/lib/docker, plus the cache entry when on; one du, so an
# inode is counted once) against one copy (the inner store as the image layer holds it), and the time from
# `docker run` until an inner `docker run` first succeeds.
# Usage: bench/inner-image-cache.sh [N] [MB]   (defaults 10 and 200). Needs root and an installed jsysbox.
set -euo pipefail

count=${1:-10}
megabytes=${2:-200}
label=jsysbox.bench=inner-image-cache
image=jsysbox-bench-preloaded:$$
cache=/var/lib/jsysbox/inner-images
ready_seconds=300

[ "$(id -u)" = 0 ] || { echo "bench/inner-image-cache.sh: run as root" >&2; exit 1; }

cleanup() {
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null 2>&1 || true
  remove_cache_entry
  docker rmi -f "$image" >/dev/null 2>&1 || true
}
trap cleanup EXIT

now() { date +%s.%N; }

# Waits until the container's inner engine can run IMAGE; prints nothing, fails after $ready_seconds.
await_inner_run() {
  local id=$1 inner=$2 deadline
  deadline=$(awk -v t="$(now)" -v s="$ready_seconds" 'BEGIN { print t + s }')
  until docker exec "$id" docker run --rm "$inner" true >/dev/null 2>&1; do
    if awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t > d) }'; then
      echo "bench: the inner engine of $id could not run $inner within ${ready_seconds}s" >&2
      exit 1
    fi
    sleep 0.2
  done
}

# The image: a dind container that built an inner image of $megabytes MB of random data, committed while running.
build_image() {
  local builder
  builder=$(docker run -d --label "$label" --runtime=jsysbox jsysbox/dind)
  await_inner_run "$builder" busybox
  docker exec "$builder" sh -c "mkdir -p /tmp/ctx && printf 'FROM busybox\nRUN head -c $((megabytes * 1048576)) /dev/urandom > /big\n' \
    > /tmp/ctx/Dockerfile && DOCKER_BUILDKIT=0 docker build -q -t bench-inner /tmp/ctx" >/dev/null
  docker commit "$builder" "$image" >/dev/null
  docker rm -f "$builder" >/dev/null
}

source_dir() { echo "$(docker image inspect --format '{{.GraphDriver.Data.UpperDir}}' "$image")/var/lib/docker"; }

# The cache entry copied from this image's layer: `jsysbox status` lists "  KEY  … from SOURCE".
cache_entry() {
  local key
  key=$(jsysbox status 2>/dev/null | awk -v src="$(source_dir)" '$(NF - 1) == "from" && $NF == src { print $1 }')
  [ -n "$key" ] && echo "$cache/$key"
}

remove_cache_entry() {
  local entry
  entry=$(cache_entry 2>/dev/null) || return 0
  [ -n "$entry" ] && rm -rf "$entry"
}

special_dir() { echo "$(dirname "$(docker inspect --format '{{.GraphDriver.Data.UpperDir}}' "$1")")/jsysbox/var-lib-docker"; }

# run MODE: starts $count containers (cache on or off), prints "MODE disk_bytes first_s mean_s total_s".
run() {
  local mode=$1 env=() ids=() id started elapsed first="" total=0 paths=()
  [ "$mode" = off ] && env=(-e JSYSBOX_INNER_IMAGE_CACHE=off)
  remove_cache_entry
  for _ in $(seq "$count"); do
    started=$(now)
    id=$(docker run -d --label "$label" --runtime=jsysbox "${env[@]}" "$image")
    await_inner_run "$id" bench-inner
    elapsed=$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
    [ -n "$first" ] || first=$elapsed
    total=$(awk -v a="$total" -v b="$elapsed" 'BEGIN { printf "%.3f", a + b }')
    ids+=("$id")
  done
  for id in "${ids[@]}"; do paths+=("$(special_dir "$id")"); done
  if [ "$mode" = on ]; then paths+=("$(cache_entry)"); fi
  local disk
  disk=$(du -sxc --block-size=1 "${paths[@]}" | tail -n 1 | cut -f1)
  docker rm -f "${ids[@]}" >/dev/null
  echo "$mode $disk $first $(awk -v t="$total" -v n="$count" 'BEGIN { printf "%.3f", t / n }') $total"
}

echo "building the preloaded image ($megabytes MB inner image)…" >&2
build_image
one_copy=$(du -sx --block-size=1 "$(source_dir)" | cut -f1)
off=$(run off)
on=$(run on)

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
printf '\n%d containers, inner image data in the image (one copy): %s MiB\n\n' "$count" "$(mib "$one_copy")"
printf '%-6s %12s %10s %16s %10s %10s\n' cache "disk MiB" "disk/copy" "first run s" "mean s" "total s"
for line in "$off" "$on"; do
  read -r mode disk first mean total <<<"$line"
  printf '%-6s %12s %10s %16s %10s %10s\n' "$mode" "$(mib "$disk")" \
    "$(awk -v d="$disk" -v c="$one_copy" 'BEGIN { printf "%.2f", d / c }')" "$first" "$mean" "$total"
done
read -r _ off_disk _ off_mean _ <<<"$off"
read -r _ on_disk _ on_mean _ <<<"$on"
echo
awk -v a="$on_disk" -v b="$off_disk" 'BEGIN { printf "disk on/off: %.2f\n", a / b }'
awk -v a="$on_mean" -v b="$off_mean" 'BEGIN { printf "mean time to first inner run on/off: %.2f\n", a / b }'
awk -v d="$on_disk" -v c="$one_copy" -v n="$count" \
  'BEGIN { r = d / c; printf "target (cache on, %d containers, disk <= 1.2x one copy): %.2fx: %s\n", n, r, (r <= 1.2 ? "met" : "NOT met") }'
