#!/usr/bin/env bash
# jsysbox installer: the one entry point on a fresh Debian 12 host (run as root, no prompts).
#
#   installer/install.sh               install or update: packages, build, trimmed Java runtime, binaries,
#                                      then `jsysbox install` (AppArmor profile where AppArmor is on,
#                                      subuid/subgid, Docker runtime, jsysbox-fs and jsysbox-mgr under supervision)
#   installer/install.sh --demo        the same, then installer/demo.sh
#   installer/install.sh --default-runtime   the same, and jsysbox becomes Docker's default runtime
#                                      (undo: jsysbox default-runtime runc)
#   installer/install.sh --containerd  the same, and containerd gets the CRI runtime handler jsysbox
#                                      (Kubernetes RuntimeClass; /etc/containerd/config.toml, rest kept)
#   installer/install.sh --uninstall [--force]
#                                      undo everything; refuses while jsysbox containers run unless --force
#
# This script only bootstraps (packages, build, copy, launchers, AOT caches); the Java `jsysbox` CLI does
# the host configuration. Every step checks before it acts, so running it again is cheap and harmless.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=/usr/local/lib/jsysbox
bin=/usr/local/bin
jre=$lib/jre
# iproute2: the manager moves a Kubernetes pod's network into the pod's own namespace with ip(8).
# netcat-openbsd: jsysbox-runc's launcher asks the manager to create containers with nc.openbsd (see its dispatch.sh).
packages=(docker.io runc uidmap maven debootstrap busybox-static procps iproute2 netcat-openbsd)
default_jdk=/usr/lib/jvm/temurin-25-jdk-amd64
jdk=

# The applications: install dir name -> Maven module, main class, binary, JVM flags. The daemons' names (mgr, fs)
# are also the installer's io.jsysbox.installer.Daemon ids, which derive their sockets, pid files and logs.
names=(runc mgr fs installer)
declare -A module=([runc]=sysbox-runc [mgr]=sysbox-mgr [fs]=sysbox-fs [installer]=installer)
declare -A main=([runc]=io.jsysbox.runc.Main [mgr]=io.jsysbox.mgr.Main [fs]=io.jsysbox.fs.Main [installer]=io.jsysbox.installer.Main)
declare -A binary=([runc]=jsysbox-runc [mgr]=jsysbox-mgr [fs]=jsysbox-fs [installer]=jsysbox)
# CLIs start often and live briefly: C1 only and the serial GC start fastest. Measured on 2 cores for
# `jsysbox --version`: 171 ms default, 137 ms C1+serial, 168 ms with -Xshare:off; for `jsysbox status`
# (a gRPC call) the AOT cache takes it from ~380 to ~195 ms. `java -version` alone: 24 ms.
# jsysbox-runc also skips perf data and uses native reflection accessors: reflection otherwise spins method-handle
# classes at run time, which the AOT cache cannot hold (create: 206 -> 193 ms).
# The manager and jsysbox-fs are long-running daemons: full JIT, serial GC (one small heap, no GC threads), and a
# young generation sized for them: their live data is a few MiB, but the default young generation (a third of a heap
# sized from the host's RAM) let each touch ~100 MiB of eden in its first minutes of work (idle RSS on a 24 GiB host:
# manager 190 MiB -> 89 with 8 MiB). jsysbox-fs allocates per read: a young generation of 32 MiB keeps its collections
# (each a pause every reader waits out) rare enough for the p99 of bench/fuse-reads.sh, which starts its jsysbox-fs with
# fs_heap_flags.
mgr_heap_flags="-XX:+UseSerialGC -Xmn8m -Xmx256m"
fs_heap_flags="-XX:+UseSerialGC -Xmn32m -Xmx256m"
# The daemons' native memory (NMT after 10 containers): netty's pooled direct buffers held 13 MiB in the manager and
# 5 in jsysbox-fs for a few small gRPC calls per container, so gRPC's buffers are unpooled; glibc keeps freed memory
# in per-thread arenas, so the daemons get two (launcher_env) and the JVM trims the C heap every 5 s. The manager's
# Java code runs a few ms per container: C1 only (no C2 compiler arenas, a smaller code cache). RSS after 10
# containers: manager 117 -> 88 MiB, jsysbox-fs 124 -> 111 MiB.
daemon_flags="-XX:TrimNativeHeapInterval=5000 -Dio.grpc.netty.shaded.io.netty.allocator.type=unpooled"
declare -A launcher_env=([mgr]="MALLOC_ARENA_MAX=2" [fs]="MALLOC_ARENA_MAX=2")
declare -A flags=([runc]="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Djdk.reflect.useNativeAccessorOnly=true"
                  [mgr]="$daemon_flags -XX:TieredStopAtLevel=1 $mgr_heap_flags" [fs]="$daemon_flags $fs_heap_flags"
                  [installer]="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
# linux-native's java.lang.foreign downcalls (the kernel calls, jsysbox-fs's /dev/fuse reads and writes) are
# restricted methods, and netty uses sun.misc.Unsafe: allow both without Java 25's warnings on stderr (jsysbox-runc's
# stderr reaches Docker; without the native-access flag a later JDK refuses the downcalls). A missing or stale AOT
# cache is skipped silently.
common_flags="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xlog:aot=off -Xlog:cds=off"

say() { echo "==> $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

mode=install demo=0 force=0 default_runtime= containerd=
for arg in "$@"; do
  case $arg in
    --uninstall) mode=uninstall ;;
    --force) force=1 ;;
    --demo) demo=1 ;;
    --default-runtime) default_runtime=--default-runtime ;;
    --containerd) containerd=--containerd ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
[ "$force" = 0 ] || [ "$mode" = uninstall ] || die "--force only goes with --uninstall"
[ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"

install_packages() {
  local missing=() pkg
  # Where the kernel has AppArmor on, `jsysbox install` loads the profile jsysbox containers run under with
  # apparmor_parser (package apparmor), and jsysbox-runc refuses containers until it is loaded.
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || packages+=(apparmor)
  for pkg in "${packages[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
  done
  [ ${#missing[@]} = 0 ] && return
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# JAVA_HOME when it holds a JDK >= 25 with jlink, else the Temurin 25 package path.
find_jdk() {
  local candidate version
  for candidate in ${JAVA_HOME:+"$JAVA_HOME"} "$default_jdk"; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/jlink" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    [ "${version%%.*}" -ge 25 ] 2>/dev/null && { echo "$candidate"; return; }
  done
  die "no JDK >= 25 found (looked at ${JAVA_HOME:-\$JAVA_HOME unset} and $default_jdk): install Temurin 25 (package temurin-25-jdk from packages.adoptium.net) or point JAVA_HOME at a JDK >= 25"
}

ensure_docker() {
  docker info >/dev/null 2>&1 && return
  if [ -d /run/systemd/system ]; then
    say "starting docker (systemctl)"
    systemctl start docker
  else
    say "starting dockerd (log: /var/log/dockerd.log)"
    # With the open-file limit docker.service gives it (LimitNOFILE=infinity): removing a layer takes one descriptor
    # per directory level, and a container's tree deeper than the limit left it "Removal In Progress".
    (ulimit -n 1048576 2>/dev/null || true; exec nohup setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null) &
  fi
  local _
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  die "the Docker engine did not answer 'docker info' within 60s: see /var/log/dockerd.log (or journalctl -u docker)"
}

# jsysbox-fs opens /dev/fuse itself and mounts with mount(2) as root: it needs the kernel's FUSE device, but neither
# libfuse nor fusermount (so no fuse3 package). Without systemd nothing may have loaded the module or made the node.
ensure_fuse() {
  [ -c /dev/fuse ] && return
  say "loading the fuse kernel module"
  modprobe fuse 2>/dev/null || true
  # The module is loaded (or built in) but no devtmpfs made the node: it is the misc device 10:229.
  [ -c /dev/fuse ] || [ ! -e /sys/class/misc/fuse ] || mknod -m 0666 /dev/fuse c 10 229
  [ -c /dev/fuse ] || die "/dev/fuse is missing and 'modprobe fuse' did not bring it: jsysbox-fs needs a kernel with FUSE (CONFIG_FUSE_FS); in a container, pass the device (--device /dev/fuse)"
}

build() {
  say "building (mvn package)"
  # Maven 3.8's own guava touches sun.misc.Unsafe (Java 25 warns) and its jansi prints stray colour resets.
  # target/lib is refilled by the build; a dependency dropped since the last build must not stay in it.
  rm -rf "$repo"/*/target/lib
  (cd "$repo" && JAVA_HOME=$jdk MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow -Djansi.noreset=true" mvn -B -q -DskipTests -pl sysbox-runc,sysbox-mgr,sysbox-fs,installer -am package) \
    || die "the Maven build failed (output above): fix it and run install.sh again"
}

# The jars an app ships: its own jar and its runtime dependencies (root pom's `app` profile), sorted.
app_jars() {
  ls "$repo/$1"/target/*.jar "$repo/$1"/target/lib/*.jar 2>/dev/null | sort
}

# Replaces directory $2 by $1 with two renames; a process with files open in the old one keeps them.
swap_dir() {
  rm -rf "$2.old"
  if [ -e "$2" ]; then mv "$2" "$2.old"; fi
  mv "$1" "$2"
  rm -rf "$2.old"
}

# A Java runtime with just the modules the shipped jars use (jdeps), plus jdk.unsupported, which netty and
# protobuf reach reflectively. Rebuilt only when the module list or the JDK changes.
install_runtime() {
  local jars=() name modules stamp
  # Each jar once, though the apps share most of them.
  mapfile -t jars < <(for name in "${names[@]}"; do app_jars "${module[$name]}"; done | awk -F/ '!seen[$NF]++')
  modules=$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps "${jars[@]}" 2>/dev/null | tail -n 1) \
    || die "jdeps failed on the built jars: run it by hand to see why"
  [[ ,$modules, == *,jdk.unsupported,* ]] || modules="$modules,jdk.unsupported"
  stamp="$("$jdk/bin/java" -version 2>&1 | head -n 1) $modules"
  [ "$(cat "$jre/jsysbox-stamp" 2>/dev/null)" = "$stamp" ] && return
  say "jlink a Java runtime ($modules)"
  rm -rf "$jre.new"
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --generate-cds-archive --output "$jre.new" >/dev/null
  echo "$stamp" >"$jre.new/jsysbox-stamp"
  swap_dir "$jre.new" "$jre"
}

# Copies an app's jars and writes its launcher (each only when it changed), and checks that it starts.
install_app() {
  local name=$1 dir=$lib/$1 jars sums launcher=$bin/${binary[$1]}
  mapfile -t jars < <(app_jars "${module[$name]}")
  [ ${#jars[@]} -gt 0 ] || die "no jars in ${module[$name]}/target: did the build run?"
  sums=$(sha256sum "${jars[@]}" | sed 's|  .*/|  |')
  if [ "$(cat "$dir/jars.sha256" 2>/dev/null)" != "$sums" ]; then
    say "installing ${binary[$name]}"
    rm -rf "$dir.new"
    mkdir -p "$dir.new"
    cp "${jars[@]}" "$dir.new/"
    echo "$sums" >"$dir.new/jars.sha256"
    swap_dir "$dir.new" "$dir"
  fi
  {
    echo "#!/bin/sh"
    echo "# ${binary[$name]}: written by jsysbox's installer/install.sh"
    [ "$name" != runc ] || runc_dispatch
    [ -z "${launcher_env[$name]:-}" ] || echo "export ${launcher_env[$name]}"
    aot_guard "$dir"
    echo "exec $jre/bin/java $common_flags ${flags[$name]} \$aot -cp '$dir/*' ${main[$name]} \"\$@\""
  } >"$launcher.new"
  chmod 0755 "$launcher.new"
  # Replaced only when its text changed: a daemon that started before its launcher's last change is restarted by
  # `jsysbox install` (its JVM flags may be what changed), one started after it is left running.
  if cmp -s "$launcher.new" "$launcher"; then rm "$launcher.new"; else mv "$launcher.new" "$launcher"; fi
  "$launcher" --help >/dev/null 2>&1 || die "$launcher does not start with $jre: run '$launcher --help' to see why"
}

# The head of jsysbox-runc's launcher: which verbs a shell handles with runc and the manager, without a JVM.
runc_dispatch() {
  cat "$repo/sysbox-runc/src/main/launcher/dispatch.sh"
}

# An AOT cache holds machine code made for the CPU it was trained on (JDK 25's cached adapters use its AVX/AVX-512
# instructions), and the JVM does not check: on a CPU without those features it dies with SIGILL. A cache is trained
# here only (the DaemonSet runs this script on each node), so its CPU is this machine's, recorded in app.aot.cpu; the
# launcher uses the cache only on a CPU with the same feature list, else the program starts without it, slower
# (`jsysbox doctor` says so). A golden image or a copied install thus never crashes; running this script again
# retrains. The feature list is the kernel's /sys/devices/system/cpu/modalias: one short file, read by the shell's
# builtin (~0.8 ms) only on the paths that start a JVM.
cpu_modalias=/sys/devices/system/cpu/modalias
this_cpu() {
  cat "$cpu_modalias" 2>/dev/null || echo unknown
}

# The launcher lines that set $aot to the cache flag when this CPU is the one the cache was trained on.
aot_guard() {
  echo "aot="
  echo "read -r cpu <$cpu_modalias 2>/dev/null || cpu=unknown"
  echo "[ \"\$cpu\" != '$(this_cpu)' ] || aot=-XX:AOTCache=$1/app.aot"
}

# Trains an app's AOT cache (JEP 483/514) once per set of jars and runtime: one run with -XX:AOTCacheOutput records
# the classes it loads and links; later starts map them instead. The JVM flags must match the launcher's.
# The run's own exit status does not matter (e.g. `state` of an unknown container fails).
aot_fresh() {
  [ "$lib/$1/app.aot" -nt "$lib/$1/jars.sha256" ] && [ "$lib/$1/app.aot" -nt "$jre/jsysbox-stamp" ] \
    && [ "$(cat "$lib/$1/app.aot.cpu" 2>/dev/null)" = "$(this_cpu)" ]
}

# A training run that hangs would hang the install: after 5 minutes it gets SIGTERM (on which the JVM still writes
# the cache), and SIGKILL 30 s later.
train_aot() {
  local name=$1 dir=$lib/$1
  shift
  aot_fresh "$name" && return
  say "training the AOT cache of ${binary[$name]} ($*)"
  rm -f "$dir/app.aot" "$dir/app.aot.cpu"
  # shellcheck disable=SC2086 # the flag lists are meant to split into words
  timeout --kill-after=30 300 "$jre/bin/java" $common_flags ${flags[$name]} -XX:AOTCacheOutput="$dir/app.aot" -cp "$dir/*" "${main[$name]}" "$@" \
    >"$dir/aot-training.log" 2>&1 </dev/null || true
  if [ -f "$dir/app.aot" ]; then
    this_cpu >"$dir/app.aot.cpu"
  else
    echo "install.sh: no AOT cache for ${binary[$name]} (see $dir/aot-training.log); it starts without one" >&2
  fi
}

install_all() {
  install_packages
  jdk=$(find_jdk)
  ensure_docker
  ensure_fuse
  build
  mkdir -p "$lib"
  install_runtime
  local name
  for name in "${names[@]}"; do
    install_app "$name"
  done
  # The daemons' caches must exist before the daemons start; the CLIs' are trained against the running
  # daemons, so their gRPC clients are in the cache too.
  train_aot mgr check-idmap
  train_fs_aot
  say "jsysbox install"
  "$bin/jsysbox" install $default_runtime $containerd
  train_runc_aot
  train_aot installer doctor
}

# jsysbox-runc's launcher has the manager do the work of create and exec, so the JVM runs where the launcher falls
# back (no netcat, a flag it does not parse, no answer on the manager's socket) and for run and pause: its cache is
# trained on the fallback of the most frequent call, an exec of Docker's process.json (docker-default, Docker's
# default capabilities), in a runc-spec bundle with a busybox rootfs created through the launcher, then deleted.
train_runc_aot() {
  local work id=jsysbox-aot-training
  work=$(mktemp -d /var/tmp/jsysbox-aot.XXXXXX)
  mkdir "$work/bundle" "$work/bundle/rootfs"
  cp /bin/busybox "$work/bundle/rootfs/"
  runc spec --bundle "$work/bundle"
  sed -i 's/"terminal": true/"terminal": false/; s#"sh"#"/busybox", "sleep", "300"#' "$work/bundle/config.json"
  cat >"$work/process.json" <<'JSON'
{"args": ["/busybox", "true"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "apparmorProfile": "docker-default",
 "capabilities": {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]}}
JSON
  if "$bin/jsysbox-runc" --root "$work/state" create --bundle "$work/bundle" --pid-file "$work/pid" "$id" </dev/null >/dev/null \
      && runc --root "$work/state" start "$id"; then
    train_aot runc --root "$work/state" exec --process "$work/process.json" "$id"
  else
    echo "install.sh: cannot create the AOT training container (see above); jsysbox-runc's cache is trained on --help" >&2
    train_aot runc --help
  fi
  runc --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}

# jsysbox-fs's cache is trained on the daemon itself (a restarted daemon mounts in ~0.3 s instead of ~0.5), serving a
# scratch mount: the JVM writes the cache when the driver below stops it with SIGTERM.
train_fs_aot() {
  local work
  aot_fresh fs && return
  work=$(mktemp -d /var/tmp/jsysbox-aot.XXXXXX)
  mkdir "$work/mnt"
  local driver
  drive_fs_training "$work" &
  driver=$!
  train_aot fs --mount-dir "$work/mnt" --socket "$work/fs.sock" --state-file "$work/state.json"
  # Only the driver: a dockerd this script started is a background child too, and never exits.
  wait "$driver"
  # A daemon that could not unmount (killed) leaves its mount: never delete through it.
  if grep -q " $work/mnt " /proc/self/mountinfo; then umount -l "$work/mnt"; fi
  rm -rf "$work"
}

# Once the training daemon serves (it writes fs.pid then): registers this shell as a container, reads every virtual
# file as that container would, unregisters it, asks for the status, and stops the daemon.
drive_fs_training() {
  local work=$1 _ fs=("$bin/jsysbox-fs")
  for _ in $(seq 1 300); do
    [ -s "$work/fs.pid" ] && break
    sleep 0.1
  done
  [ -s "$work/fs.pid" ] || return 0 # it did not start: train_aot says so
  "${fs[@]}" register --socket "$work/fs.sock" --id aot-training --pid "$BASHPID" >/dev/null 2>&1 || true
  find "$work/mnt" -type f -exec cat {} + >/dev/null 2>&1 || true
  "${fs[@]}" status --socket "$work/fs.sock" >/dev/null 2>&1 || true
  "${fs[@]}" unregister --socket "$work/fs.sock" --id aot-training >/dev/null 2>&1 || true
  kill -TERM "$(cat "$work/fs.pid")" 2>/dev/null || true
}

uninstall_all() {
  if [ -x "$bin/jsysbox" ]; then
    if [ "$force" = 1 ]; then "$bin/jsysbox" uninstall --force; else "$bin/jsysbox" uninstall; fi
  else
    echo "install.sh: $bin/jsysbox is missing; removing the files only" >&2
  fi
  rm -f "$bin/jsysbox-runc" "$bin/jsysbox-mgr" "$bin/jsysbox-fs" "$bin/jsysbox"
  rm -rf "$lib"
  say "jsysbox removed (kept: /var/lib/jsysbox state, /var/log/jsysbox logs, /etc/docker/daemon.json.before-jsysbox if any)"
}

if [ "$mode" = uninstall ]; then
  uninstall_all
  exit 0
fi
install_all
say "done: try 'jsysbox doctor', 'jsysbox status' or installer/demo.sh"
[ "$demo" = 0 ] || exec "$repo/installer/demo.sh"
