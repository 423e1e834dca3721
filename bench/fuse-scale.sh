#!/usr/bin/env bash
# Virtual /proc files at scale, in one run: C containers each read meminfo, cpuinfo and stat in a loop (open, read to
# EOF, close: as cat and free do), all at once, for S seconds. Once with jsysbox containers (jsysbox-fs serves their
# files), once with runc containers whose files are lxcfs's, bind-mounted over /proc as LXD/Incus do (Debian's lxcfs,
# started on a directory of its own for the run). Same image, same limits (--memory 256m --cpus 1), same static reader.
# Two rounds each, in A-B-B-A order. Prints, for each: reads per second in all, the p99 of a read's latency over every
# read of every container, and the FUSE daemon's CPU seconds per 100k reads (utime + stime of jsysbox-fs, of lxcfs),
# then jsysbox's ratios.
# Usage: bench/fuse-scale.sh [CONTAINERS (20) [SECONDS (10)]]. Needs root, gcc with a static libc (libc6-dev), lxcfs
# (apt-get install lxcfs), Docker with the jsysbox runtime, and jsysbox/busybox (installer/images/build-images.sh).
set -euo pipefail

count=${1:-20}
secs=${2:-10}
image=jsysbox/busybox:latest
. "$(dirname "$0")/preconditions.sh"
need_positive "CONTAINERS and SECONDS" "$count" "$secs"
need_root
command -v gcc >/dev/null || bench_fail "gcc missing: apt-get install gcc libc6-dev"
command -v lxcfs >/dev/null || bench_fail "lxcfs missing: apt-get install lxcfs"
need_images "$image"
need_jsysbox_runtime
[ -s /run/jsysbox/fs.pid ] || bench_fail "jsysbox-fs is not running: jsysbox start"

work=$(mktemp -d)
containers=()
lxcfs_pid=
cleanup() {
  set +e
  [ ${#containers[@]} = 0 ] || docker rm -f "${containers[@]}" >/dev/null 2>&1
  [ -z "$lxcfs_pid" ] || { kill "$lxcfs_pid" 2>/dev/null; wait "$lxcfs_pid" 2>/dev/null; }
  grep -q " $work/lxcfs " /proc/self/mountinfo && umount -l "$work/lxcfs"
  rm -rf "$work"
}
trap cleanup EXIT

# The reader: waits for /bench/go, then loops over the files for SECONDS and writes a histogram of read latencies
# (microseconds, count) and its read count to /bench/out/NAME.
cat >"$work/reader.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#define BUCKETS 1000000
static long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: reader SECONDS OUT\n"); return 2; }
  const char *files[] = {"/proc/meminfo", "/proc/cpuinfo", "/proc/stat"};
  static unsigned histogram[BUCKETS]; static char buf[65536];
  while (access("/bench/go", F_OK) != 0) usleep(1000);
  long reads = 0, t = now(), end = t + atol(argv[1]) * 1000000000L;
  while (t < end) {
    int f = open(files[reads % 3], O_RDONLY);
    if (f < 0) { perror(files[reads % 3]); return 1; }
    while (read(f, buf, sizeof buf) > 0) {}
    close(f);
    long t2 = now(), us = (t2 - t) / 1000;
    histogram[us < BUCKETS ? us : BUCKETS - 1]++; reads++; t = t2;
  }
  FILE *out = fopen(argv[2], "w");
  if (!out) { perror(argv[2]); return 1; }
  for (long i = 0; i < BUCKETS; i++) if (histogram[i]) fprintf(out, "%ld %u\n", i, histogram[i]);
  return fclose(out) != 0;
}
C
# The containers see only this: the reader, the go file, their outputs (not lxcfs's mount, which is beside it).
share=$work/share
mkdir "$share"
gcc -O2 -static -o "$share/reader" "$work/reader.c"

# cpu_ticks PID: the process's utime + stime, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)

# round NAME DAEMON_PID DOCKER_RUN_ARGS...: starts the containers, lets them read at once for SECONDS, adds their
# latency histograms to out-NAME and the daemon's CPU ticks meanwhile to cpu-NAME.
round=0
round() {
  local name=$1 daemon=$2 ids=() id before
  shift 2
  round=$((round + 1))
  mkdir -p "$share/out-$name"
  rm -f "$share/go"
  for i in $(seq "$count"); do
    # Named, so that one whose create failed (left in the Created state, no id printed) is removed too.
    id=fuse-scale-$$-$round-$i
    containers+=("$id")
    docker run -d --name "$id" --memory 256m --cpus 1 -v "$share:/bench" "$@" "$image" \
      /bench/reader "$secs" "/bench/out-$name/$round-$i" >/dev/null
    ids+=("$id")
  done
  sleep 2 # every reader waits for the go file
  before=$(cpu_ticks "$daemon")
  touch "$share/go"
  docker wait "${ids[@]}" >/dev/null
  echo $(( $(cpu_ticks "$daemon") - before )) >>"$share/cpu-$name"
  for id in "${ids[@]}"; do
    [ "$(docker inspect -f '{{.State.ExitCode}}' "$id")" = 0 ] \
      || { echo "fuse-scale: a $name reader failed: $(docker logs "$id" 2>&1 | tail -n 3)" >&2; exit 1; }
  done
  docker rm -f "${ids[@]}" >/dev/null
}

# summary NAME ROUNDS: name, reads/s, p99 µs, CPU s per 100k reads, over its rounds.
summary() {
  local cpu
  cpu=$(awk '{ t += $1 } END { print t }' "$share/cpu-$1")
  sort -n -k1,1 "$share/out-$1"/* | awk -v name="$1" -v secs=$(($2 * secs)) -v cpu="$cpu" -v hz="$ticks_per_second" '
    { us[NR] = $1; n[NR] = $2; total += $2 }
    END {
      for (i = 1; i <= NR; i++) { seen += n[i]; if (seen >= 0.99 * total) { p99 = us[i]; break } }
      printf "%s %.0f %d %.2f\n", name, total / secs, p99, (total > 0 ? cpu / hz * 100000 / total : 0)
    }'
}

mkdir "$work/lxcfs"
lxcfs -f -p "$work/lxcfs.pid" "$work/lxcfs" >"$work/lxcfs.log" 2>&1 &
lxcfs_pid=$!
for _ in $(seq 100); do [ -e "$work/lxcfs/proc/meminfo" ] && break; sleep 0.1; done
[ -e "$work/lxcfs/proc/meminfo" ] || { echo "fuse-scale: lxcfs did not mount: $(cat "$work/lxcfs.log")" >&2; exit 1; }

echo "fuse-scale: $count containers reading meminfo, cpuinfo, stat for $secs s at once; rounds jsysbox, lxcfs, lxcfs, jsysbox"
lxcfs_mounts=()
for file in meminfo cpuinfo stat; do lxcfs_mounts+=(-v "$work/lxcfs/proc/$file:/proc/$file:ro"); done
# In A-B-B-A order: a host whose load drifts during the run weighs on both alike.
round jsysbox "$(cat /run/jsysbox/fs.pid)" --runtime=jsysbox
round lxcfs "$lxcfs_pid" --runtime=runc "${lxcfs_mounts[@]}"
round lxcfs "$lxcfs_pid" --runtime=runc "${lxcfs_mounts[@]}"
round jsysbox "$(cat /run/jsysbox/fs.pid)" --runtime=jsysbox
jsysbox=$(summary jsysbox 2)
lxcfs=$(summary lxcfs 2)
printf '  %-8s %12s %10s %22s\n' "" "reads/s" "p99 µs" "CPU s per 100k reads"
for line in "$jsysbox" "$lxcfs"; do
  read -r name rate p99 cpu <<<"$line"
  printf '  %-8s %12s %10s %22s\n' "$name" "$rate" "$p99" "$cpu"
done
read -r _ j_rate j_p99 j_cpu <<<"$jsysbox"
read -r _ l_rate l_p99 l_cpu <<<"$lxcfs"
awk -v jr="$j_rate" -v lr="$l_rate" -v jp="$j_p99" -v lp="$l_p99" -v jc="$j_cpu" -v lc="$l_cpu" 'BEGIN {
  printf "  jsysbox/lxcfs: reads/s %.2fx (higher is better), p99 %.2fx, CPU per read %.2fx (lower is better)\n",
    jr / lr, (lp > 0 ? jp / lp : 0), (lc > 0 ? jc / lc : 0) }'
