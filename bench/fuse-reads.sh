#!/usr/bin/env bash
# Read throughput and p99 latency of the virtual /proc files, in one run: the kernel's /proc, lxcfs (Debian
# package) and jsysbox-fs, each read by processes of the same stand-in container (own pid namespace, own
# cgroups with a memory limit, a CPU quota and a cpuset), so lxcfs and jsysbox-fs both render that
# container's view. jsysbox-fs's is <mount>/containers/bench/proc, read through a bind mount of it as containers
# read their files through the runtime's bind mounts (a path walk through containers/<id> costs one more LOOKUP
# per open: the kernel may not cache that name, as the id of a restarted container names a new view). For
# meminfo, uptime, cpuinfo and stat: open+read+close loops (read to EOF, as cat does) and pread-at-0 loops on
# one descriptor, with 1 and 2 threads. Prints a table and the jsysbox/lxcfs ratio.
# Usage: bench/fuse-reads.sh [SECONDS per measurement, default 2]. Needs root, gcc, lxcfs, Java 25 and a
# built sysbox-fs (mvn -q -B package -pl sysbox-fs -am); leaves no mount, cgroup or process behind.
set -euo pipefail

secs=${1:-2}
. "$(dirname "$0")/preconditions.sh"
need_positive SECONDS "$secs"
need_root "it mounts FUSE file systems and creates cgroups"
command -v gcc >/dev/null || bench_fail "gcc missing: apt-get install gcc"
command -v lxcfs >/dev/null || bench_fail "lxcfs missing: apt-get install lxcfs"
repo=$(cd "$(dirname "$0")/.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
# jsysbox-fs's heap and GC flags: installer/install.sh's for the daemon, unless FS_FLAGS says otherwise (A/B runs).
read -ra fs_flags <<<"${FS_FLAGS:-$(sed -n 's/^fs_heap_flags="\(.*\)"$/\1/p' "$(dirname "$0")/../installer/install.sh")}"
[ -x "$java" ] || bench_fail "no Java 25 at $java: set JAVA_HOME"
ls "$repo"/sysbox-fs/target/sysbox-fs-*.jar >/dev/null 2>&1 \
  || bench_fail "sysbox-fs is not built: run 'mvn -q -B package -pl sysbox-fs -am' first"

work=$(mktemp -d)
cgroups=()
pids=()
init=
cleanup() {
  set +e
  # The container's init is pid 1 of its namespace: only SIGKILL reaches it from outside.
  [ -n "${init:-}" ] && kill -KILL "$init" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for dir in "$work/jsysbox-proc" "$work/lxcfs" "$work/jsysbox-fs"; do
    grep -q " $dir " /proc/self/mountinfo && umount -l "$dir"
  done
  for cg in "${cgroups[@]}"; do
    [ -d "$cg" ] && { while read -r p; do echo "$p" >"$(dirname "$cg")/cgroup.procs"; done <"$cg/cgroup.procs"; rmdir "$cg"; }
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- the reader: N threads looping open+read+close (mode 0) or pread at 0 (mode 1) for S seconds ---
cat >"$work/reader.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#define CAP 4000000
static const char *path; static int mode; static long seconds;
struct result { long n; unsigned *ns; };
static long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
static void *loop(void *arg) {
  struct result *r = arg; char buf[65536]; int fd = -1;
  if (mode == 1 && (fd = open(path, O_RDONLY)) < 0) { perror(path); exit(1); }
  long t = now(), end = t + seconds * 1000000000L;
  while (t < end) {
    if (mode == 0) {
      int f = open(path, O_RDONLY); if (f < 0) { perror(path); exit(1); }
      while (read(f, buf, sizeof buf) > 0) {}
      close(f);
    } else if (pread(fd, buf, sizeof buf, 0) <= 0) { perror(path); exit(1); }
    long t2 = now(); if (r->n < CAP) r->ns[r->n] = (unsigned)(t2 - t); r->n++; t = t2;
  }
  return NULL;
}
static int cmp(const void *a, const void *b) { unsigned x = *(const unsigned *)a, y = *(const unsigned *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: reader 0|1 THREADS SECONDS PATH\n"); return 2; }
  mode = atoi(argv[1]); int threads = atoi(argv[2]); seconds = atol(argv[3]); path = argv[4];
  pthread_t th[16]; struct result r[16]; long total = 0, kept = 0;
  for (int i = 0; i < threads; i++) { r[i].n = 0; r[i].ns = malloc(sizeof(unsigned) * CAP); pthread_create(&th[i], NULL, loop, &r[i]); }
  for (int i = 0; i < threads; i++) { pthread_join(th[i], NULL); total += r[i].n; kept += r[i].n < CAP ? r[i].n : CAP; }
  unsigned *all = malloc(sizeof(unsigned) * kept); long k = 0;
  for (int i = 0; i < threads; i++) for (long j = 0; j < r[i].n && j < CAP; j++) all[k++] = r[i].ns[j];
  qsort(all, kept, sizeof(unsigned), cmp);
  printf("%.0f %.1f\n", (double)total / seconds, all[(long)(kept * 0.99)] / 1000.0);
  return 0;
}
C
gcc -O2 -pthread -o "$work/reader" "$work/reader.c"

# --- the stand-in container: cgroups with limits, and an init in its own pid namespace ---
name=jsysbox-bench-$$
procs=()
if [ -d /sys/fs/cgroup/memory ]; then # cgroup v1 (or hybrid)
  for c in memory cpu cpuacct cpuset; do
    dir=/sys/fs/cgroup/$c/$name
    [ -d "$dir" ] || { mkdir "$dir"; cgroups+=("$dir"); }
    procs+=("$dir/cgroup.procs")
  done
  echo $((512 << 20)) >/sys/fs/cgroup/memory/$name/memory.limit_in_bytes
  echo 100000 >/sys/fs/cgroup/cpu/$name/cpu.cfs_quota_us
  cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/$name/cpuset.mems
  echo 0 >/sys/fs/cgroup/cpuset/$name/cpuset.cpus
else # cgroup v2
  dir=/sys/fs/cgroup/$name
  mkdir "$dir"; cgroups+=("$dir"); procs+=("$dir/cgroup.procs")
  echo $((512 << 20)) >"$dir/memory.max" 2>/dev/null || true
  echo "100000 100000" >"$dir/cpu.max" 2>/dev/null || true
  echo 0 >"$dir/cpuset.cpus" 2>/dev/null || true
fi
# in_container CMD...: runs CMD in the container's cgroups and pid namespace.
in_container() {
  ( for p in "${procs[@]}"; do echo "$BASHPID" >"$p"; done; exec nsenter --target "$init" --pid -- "$@" )
}
( for p in "${procs[@]}"; do echo "$BASHPID" >"$p"; done; exec unshare --pid --fork --mount-proc sleep 100000 2>/dev/null ) &
pids+=($!)
for _ in $(seq 100); do
  init=$(pgrep -P "${pids[0]}" sleep || true)
  [ -n "$init" ] && break
  sleep 0.05
done
[ -n "$init" ] || bench_fail "the stand-in container did not start"

# --- the two FUSE file systems ---
mkdir "$work/lxcfs" "$work/jsysbox-fs" "$work/jsysbox-proc"
lxcfs -f -p "$work/lxcfs.pid" "$work/lxcfs" >"$work/lxcfs.log" 2>&1 &
pids+=($!)
"$java" "${fs_flags[@]}" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$repo/sysbox-fs/target/*:$repo/sysbox-fs/target/lib/*" io.jsysbox.fs.Main --mount-dir "$work/jsysbox-fs" --socket "$work/fs.sock" --state-file "$work/fs-state.json" \
  >"$work/jsysbox-fs.log" 2>&1 &
pids+=($!)
jsysbox_fs() {
  "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$repo/sysbox-fs/target/*:$repo/sysbox-fs/target/lib/*" \
    io.jsysbox.fs.Main "$@" --socket "$work/fs.sock" 2>/dev/null
}
for _ in $(seq 100); do
  [ -S "$work/fs.sock" ] && [ -f "$work/lxcfs/proc/meminfo" ] && break
  sleep 0.1
done
[ -S "$work/fs.sock" ] || { echo "fuse-reads: jsysbox-fs did not start:" >&2; cat "$work/jsysbox-fs.log" >&2; exit 1; }
[ -f "$work/lxcfs/proc/meminfo" ] || { echo "fuse-reads: lxcfs did not start:" >&2; cat "$work/lxcfs.log" >&2; exit 1; }
jsysbox_fs register --id bench --pid "$init" >/dev/null
jsysbox_proc=$work/jsysbox-proc # the container's own view (own inodes)
mount --bind "$work/jsysbox-fs/containers/bench/proc" "$jsysbox_proc"

echo "Container view (512 MiB limit, 1 CPU quota, cpuset 0), as each source shows it:"
for source in kernel:/proc "lxcfs:$work/lxcfs/proc" "jsysbox:$jsysbox_proc"; do
  src=${source#*:}
  printf '  %-8s MemTotal %s, cpus in cpuinfo %s, uptime %s\n' "${source%%:*}" \
    "$(in_container awk '/^MemTotal/ {print $2 " kB"}' "$src/meminfo")" \
    "$(in_container grep -c '^processor' "$src/cpuinfo")" "$(in_container cut -d' ' -f1 "$src/uptime")"
done

# measure SOURCE_DIR FILE MODE THREADS -> "reads/s p99_us"
measure() { in_container "$work/reader" "$3" "$4" "$secs" "$1/$2"; }
# Warm-up: jsysbox-fs's JIT and both daemons' caches.
for f in meminfo uptime cpuinfo stat; do
  in_container "$work/reader" 0 2 1 "$jsysbox_proc/$f" >/dev/null
  in_container "$work/reader" 0 1 1 "$work/lxcfs/proc/$f" >/dev/null
done

echo
printf '%-8s %-14s %3s | %10s %8s | %10s %8s | %10s %8s | %7s\n' file loop thr \
  "kernel/s" "p99 us" "lxcfs/s" "p99 us" "jsysbox/s" "p99 us" "js/lxcfs"
printf -- '-%.0s' $(seq 100); echo
for f in meminfo uptime cpuinfo stat; do
  for mode in 0 1; do
    for threads in 1 2; do
      read -r k kp < <(measure /proc "$f" "$mode" "$threads")
      read -r l lp < <(measure "$work/lxcfs/proc" "$f" "$mode" "$threads")
      read -r j jp < <(measure "$jsysbox_proc" "$f" "$mode" "$threads")
      printf '%-8s %-14s %3s | %10s %8s | %10s %8s | %10s %8s | %6.2fx\n' "$f" \
        "$([ "$mode" = 0 ] && echo open+read+close || echo pread)" "$threads" "$k" "$kp" "$l" "$lp" "$j" "$jp" \
        "$(awk -v a="$j" -v b="$l" 'BEGIN { print (b > 0 ? a / b : 0) }')"
    done
  done
done
echo
echo "($secs s per cell; readers run in the container's cgroups and pid namespace; jsysbox-fs with 2 reader threads)"
