#!/usr/bin/env bash
# Host disk and start time of jsysbox containers whose image carries inner images, with the inner image cache off and
# on, in one run. A dind container builds an inner image of MB megabytes of random data and is committed while
# running (docker commit pauses it; the runtime copies its /var/lib/docker into the image). Then, for each mode, N
# containers of that image are started one after another:
#   off  (-e JSYSBOX_INNER_IMAGE_CACHE=off): each container gets a private copy of the whole inner store;
#   on   (the default): the manager fills one shared cache entry, each container gets the metadata and read-only
#        ID-mapped mounts of the entry's layers.
# Columns: "disk MiB" is the host disk the inner image data takes with all N containers running (their special dirs
# for /var/lib/docker, plus the cache entry when on; one du, so a hard-linked inode counts once); "disk/copy" divides
# it by one copy (the inner store as the committed image's top layer holds it): about N when off, about 1 when on.
# "first/mean/total s" is the wall time from just before `docker run` until an inner `docker run --rm` of the built
# image first succeeds (polled every 0.2 s), for the first container, on average and summed. The on/off lines are
# ratios (below 1: the cache saves); the last line says whether the issue's target (cache on, 10 containers: disk at
# most 1.2 x one copy) holds. Nothing here is a timed assertion: slow machines print larger numbers, not failures.
# Usage: bench/inner-image-cache.sh [N] [MB]   (N containers per mode, default 10; MB of inner image data, default
# 200). Needs root, an installed jsysbox and the jsysbox/dind image; removes its containers, image and cache entry.
set -euo pipefail

count=${1:-10}
megabytes=${2:-200}
. "$(dirname "$0")/preconditions.sh"
need_positive "N and MB" "$count" "$megabytes"
need_root "it reads container layers and the manager's cache"
command -v jsysbox >/dev/null || bench_fail "jsysbox not installed: run installer/install.sh"
need_images jsysbox/dind
jsysbox status >/dev/null 2>&1 || bench_fail "'jsysbox status' failed: is the manager up?"

run_id=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
image=jsysbox-bench-preloaded:$run_id
inner_image=bench-inner
label=jsysbox.bench=inner-image-cache-$run_id # this run's containers only: a concurrent run or test keeps its own
wait_seconds=300                              # per container (and per build step): a 2-core machine is slow, not stuck
source_dir=                                   # the image's inner store, as cache entries name their source
work=$(mktemp -d)

log() { echo "inner-image-cache: $*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
# elapsed START: seconds since START (a `now` value), 3 decimals.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# past DEADLINE: true once `now` is after DEADLINE.
past() { awk -v t="$(now)" -v d="$1" 'BEGIN { exit !(t > d) }'; }
deadline_in() { awk -v t="$(now)" -v s="$1" 'BEGIN { printf "%.3f", t + s }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# --- the cache entry of this image, as `jsysbox status` lists it ---
# "inner image cache: N entries, X MiB (DIR)", then per entry "  KEY  n shared layers  used by u running  from SOURCE".
cache_dir() { jsysbox status | sed -n 's/^inner image cache: .*(\(.*\))$/\1/p'; }
# cache_line: the status line of the entry copied from $source_dir (empty when there is none).
cache_line() { jsysbox status | awk -v src="$source_dir" '$(NF - 1) == "from" && $NF == src'; }
cache_users() { cache_line | sed -n 's/.*used by \([0-9]*\) running.*/\1/p'; }
cache_entry_dir() {
  local key dir
  key=$(cache_line | awk '{ print $1 }')
  [ -n "$key" ] || return 0
  dir=$(cache_dir)
  [ -n "$dir" ] || die "no cache dir in 'jsysbox status' (expected 'inner image cache: ... (DIR)')"
  echo "$dir/$key"
}

# remove_cache_entry: so the next container fills it again. Only when no container uses it: the manager releases a
# removed container's use shortly after `docker rm`, so wait a little for that.
remove_cache_entry() {
  local entry users deadline
  [ -n "$source_dir" ] || return 0
  entry=$(cache_entry_dir)
  [ -n "$entry" ] || return 0
  deadline=$(deadline_in 60)
  while users=$(cache_users); [ "${users:-0}" != 0 ]; do
    past "$deadline" && die "cache entry $entry is still used by $users running container(s); not removing it"
    sleep 1
  done
  rm -rf "$entry"
  [ -z "$(cache_line)" ] || die "cache entry $entry is still listed after its removal: $(cache_line)"
}

cleanup() {
  set +e
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null 2>&1
  # A subshell: remove_cache_entry may die, and the image should go all the same.
  (remove_cache_entry)
  docker image inspect "$image" >/dev/null 2>&1 && docker rmi -f "$image" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# special_dir CONTAINER: the host dir that is the container's /var/lib/docker (<layer>/jsysbox/var-lib-docker, where
# the container's UpperDir is <layer>/diff).
special_dir() {
  local upper
  upper=$(docker inspect --format '{{.GraphDriver.Data.UpperDir}}' "$1")
  echo "$(dirname "$upper")/jsysbox/var-lib-docker"
}

# await CONTAINER DEADLINE WHAT CMD...: runs CMD in the container (docker exec) every 0.2 s until it succeeds; fails
# with a message naming WHAT once DEADLINE is past, showing the last error.
await() {
  local id=$1 deadline=$2 what=$3
  shift 3
  # timeout: one exec that hangs (a dockerd half up) must not outlive the deadline by much.
  until timeout 60 docker exec "$id" "$@" >/dev/null 2>"$work/await.err"; do
    if past "$deadline"; then
      log "container ${id:0:12}: $what did not succeed within ${wait_seconds}s; last error:"
      cat "$work/await.err" >&2
      exit 1
    fi
    sleep 0.2
  done
}

# build_image: a dind container builds $inner_image, then is committed as $image while running, and removed.
build_image() {
  local builder deadline
  builder=$(docker run -d --label "$label" --runtime=jsysbox jsysbox/dind)
  # The image's init starts dockerd and imports busybox; the build needs both.
  await "$builder" "$(deadline_in "$wait_seconds")" "the inner engine's busybox import" docker image inspect busybox:latest
  timeout "$wait_seconds" docker exec "$builder" sh -c "mkdir -p /tmp/ctx \
      && printf 'FROM busybox\nRUN head -c $((megabytes * 1048576)) /dev/urandom > /big\n' > /tmp/ctx/Dockerfile \
      && DOCKER_BUILDKIT=0 docker build -q -t $inner_image /tmp/ctx" >/dev/null \
    || die "the inner docker build in ${builder:0:12} failed or took over ${wait_seconds}s"
  timeout "$wait_seconds" docker commit "$builder" "$image" >/dev/null \
    || die "docker commit of ${builder:0:12} failed or took over ${wait_seconds}s"
  docker rm -f "$builder" >/dev/null
  source_dir="$(docker image inspect --format '{{.GraphDriver.Data.UpperDir}}' "$image")/var/lib/docker"
  [ -d "$source_dir" ] || die "the committed image's top layer has no /var/lib/docker ($source_dir): the commit did not capture the inner store"
}

# run_mode MODE: starts $count containers one after another (cache off or on), each timed until its first inner run;
# measures the disk the inner data takes with all of them running; removes them. Sets disk[MODE], first[MODE],
# total[MODE], entry_line[MODE]. (Not run in $(...): errexit would not stop it there.)
declare -A disk first total entry_line
run_mode() {
  local mode=$1 env=() ids=() paths=() id started took entry n
  [ "$mode" = off ] && env=(-e JSYSBOX_INNER_IMAGE_CACHE=off)
  remove_cache_entry # the first container of each mode starts from an empty cache, as after a fresh docker pull
  first[$mode]=
  total[$mode]=0
  for n in $(seq "$count"); do
    started=$(now)
    # timeout: the runtime fills the special dir before the container starts, so a stuck fill hangs docker run.
    id=$(timeout "$wait_seconds" docker run -d --label "$label" --runtime=jsysbox "${env[@]}" "$image") \
      || die "cache $mode: docker run of container $n failed or took over ${wait_seconds}s"
    ids+=("$id")
    await "$id" "$(awk -v t="$started" -v s="$wait_seconds" 'BEGIN { printf "%.3f", t + s }')" \
      "the inner 'docker run --rm $inner_image true'" docker run --rm "$inner_image" true
    took=$(elapsed "$started")
    [ -n "${first[$mode]}" ] || first[$mode]=$took
    total[$mode]=$(awk -v a="${total[$mode]}" -v b="$took" 'BEGIN { printf "%.3f", a + b }')
    log "cache $mode: container $n/$count (${id:0:12}) ran its first inner container after ${took}s"
  done

  for id in "${ids[@]}"; do
    paths+=("$(special_dir "$id")")
    [ -d "${paths[-1]}" ] || die "container ${id:0:12} has no special dir for /var/lib/docker at ${paths[-1]}"
  done
  entry_line[$mode]=$(cache_line)
  if [ "$mode" = on ]; then
    entry=$(cache_entry_dir)
    [ -n "$entry" ] || die "cache on, $count containers running, but 'jsysbox status' lists no entry from $source_dir"
    paths+=("$entry")
  fi
  # One du over every path: a file reachable from two of them (a hard link, the same inode) is counted once.
  disk[$mode]=$(du -sxc --block-size=1 "${paths[@]}" | tail -n 1 | cut -f1)

  started=$(now)
  docker rm -f "${ids[@]}" >/dev/null
  log "cache $mode: removed the $count containers in $(elapsed "$started")s"
}

log "building the preloaded image ($megabytes MB inner image) ..."
build_image
one_copy=$(du -sx --block-size=1 "$source_dir" | cut -f1)
log "one copy of the inner store: $(mib "$one_copy") MiB ($source_dir)"
for mode in off on; do run_mode "$mode"; done

printf '\nOne copy of the inner store (the committed image layer'"'"'s /var/lib/docker, %s MB inner image): %s MiB\n\n' \
  "$megabytes" "$(mib "$one_copy")"
printf '%39s| %s\n' "" "time to first inner run"
printf '%-5s %10s %10s %10s | %8s %8s %10s\n' cache containers "disk MiB" "disk/copy" "first s" "mean s" "total s"
printf -- '-%.0s' $(seq 68); echo
for mode in off on; do
  printf '%-5s %10s %10s %10s | %8.2f %8.2f %10.2f\n' "$mode" "$count" "$(mib "${disk[$mode]}")" \
    "$(ratio "${disk[$mode]}" "$one_copy")" "${first[$mode]}" \
    "$(awk -v t="${total[$mode]}" -v n="$count" 'BEGIN { print t / n }')" "${total[$mode]}"
done
echo
echo "on/off: disk $(ratio "${disk[on]}" "${disk[off]}"), time to first inner run: first container" \
  "$(ratio "${first[on]}" "${first[off]}"), mean and total $(ratio "${total[on]}" "${total[off]}")"
echo "cache entry with the containers running: off: ${entry_line[off]:-(none)}"
echo "                                          on:  $(echo "${entry_line[on]}" | sed 's/^ *//')"
awk -v d="${disk[on]}" -v c="$one_copy" -v n="$count" 'BEGIN {
  r = d / c
  printf "target (cache on, 10 containers: disk <= 1.20 x one copy): %.2f x with %d containers: %s\n", r, n,
    (r <= 1.2 ? "holds" : "does NOT hold") (n == 10 ? "" : " (measured with N != 10)") }'
