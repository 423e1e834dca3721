#!/usr/bin/env bash
# Builds the test/demo images offline from Debian packages (no registry needed); build-images.sh [NAME...] builds
# only those named (busybox dind systemd podman jdk dind-sid):
#   jsysbox/dind:latest     Debian bookworm + docker.io; tini runs jsysbox-dind-init, which starts the inner
#                           engine and seeds it with busybox:latest from a tarball baked into the image.
#   jsysbox/busybox:latest  busybox-static with one symlink per applet; CMD sh.
#   jsysbox/systemd:latest  Debian bookworm + systemd (CMD /sbin/init) + docker.io as a systemd service, with the
#                           busybox tarball at /opt/jsysbox/busybox-rootfs.tar; stop signal SIGRTMIN+3.
#   jsysbox/jdk:latest      jsysbox/dind's engine and init, plus OpenJDK 17 and Maven (Testcontainers inside).
#   jsysbox/dind-sid:latest jsysbox/dind's init on Debian sid: a current engine inside (Docker 28, containerd 2.x,
#                           runc 1.3), as users' docker:dind images have.
#   jsysbox/podman:latest   Debian bookworm + podman (netavark, slirp4netns, uidmap), the busybox tarball, and a user `builder`
#                           (uid 1000) with subordinate ids 10000-59999 for rootless podman; CMD sleep infinity.
# An image is rebuilt only when its io.jsysbox.build label differs from the hash of this script.
# The debootstrap rootfs is cached under /var/cache/jsysbox/ (delete it to start from scratch).
set -euo pipefail

cache=/var/cache/jsysbox
dind_packages=docker.io,docker-compose,iptables,procps,iproute2,ca-certificates,tini
systemd_packages=systemd,systemd-sysv,dbus,docker.io,iptables,procps,iproute2
jdk_packages=$dind_packages,openjdk-17-jdk-headless,maven
# sid ships the docker CLI apart (docker-cli), and no docker-compose v1.
dind_sid_packages=docker.io,docker-cli,iptables,procps,iproute2,ca-certificates,tini
podman_packages=podman,netavark,aardvark-dns,slirp4netns,uidmap,iptables,procps,iproute2,ca-certificates
mirror=${JSYSBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
build_hash=$(sha256sum "$0" | cut -c1-16)

die() { echo "build-images: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
for tool in docker debootstrap busybox tar; do
  command -v "$tool" >/dev/null || die "$tool not found: run installer/install.sh first (it installs docker.io, debootstrap, busybox-static)"
done
[ -x /bin/busybox ] || die "/bin/busybox missing: apt-get install busybox-static"
docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info': start dockerd"

image_is_current() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "io.jsysbox.build" }}' "$1" 2>/dev/null)" = "$build_hash" ]
}

# A busybox root filesystem as a tar file: the static binary, a symlink per applet, and the few files
# a shell expects. Relative symlinks, so the tree is valid wherever it is unpacked.
make_busybox_tar() {
  local out=$1 dir
  dir=$(mktemp -d)
  mkdir -p "$dir"/{bin,etc,dev,proc,sys,tmp,root}
  chmod 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  tar -C "$dir" --numeric-owner --owner=0 --group=0 -cf "$out" .
  rm -rf --one-file-system "$dir"
}

# The container's main process (under tini): starts the inner containerd, then dockerd on it, waits until dockerd
# answers, imports busybox:latest, announces readiness, then waits; SIGTERM (docker stop) stops both cleanly.
# Why containerd apart: a dockerd that starts its own gives it 15 s to answer and exits when it does not, which a
# loaded host (or a VM guest without KVM) can exceed; run on its own, containerd may take as long as it needs.
write_dind_init() {
  cat >"$1" <<'INIT'
#!/bin/bash
set -u
log=/var/log/dockerd.log
clog=/var/log/containerd.log
sock=/run/containerd/containerd.sock
# A committed container (inner images preloaded by docker commit) carries its engine's run state: a stale pid file
# names a pid that may be alive in this pid namespace, and dockerd would refuse to start.
rm -rf /var/run/docker.pid /var/run/docker /run/containerd /run/jsysbox-dind.ready
containerd >"$clog" 2>&1 &
runtime=$!
engine=
trap 'kill -TERM $engine 2>/dev/null; wait $engine; kill -TERM "$runtime" 2>/dev/null; wait "$runtime"; exit 0' TERM INT
# up: waits up to 120 s for CHECK to succeed while PID lives; says what failed otherwise.
up() {
  local what=$1 pid=$2 log=$3; shift 3
  for _ in $(seq 1 240); do
    "$@" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "jsysbox-dind-init: $what exited; its log:" >&2; cat "$log" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "jsysbox-dind-init: $what did not answer within 120s; see $log" >&2; exit 1
}
up containerd "$runtime" "$clog" ctr --address "$sock" version
dockerd --containerd="$sock" >"$log" 2>&1 &
engine=$!
up dockerd "$engine" "$log" docker info
if ! docker image inspect busybox:latest >/dev/null 2>&1; then
  docker import --change 'CMD ["sh"]' /opt/jsysbox/busybox-rootfs.tar busybox:latest >/dev/null \
    || { echo "jsysbox-dind-init: importing busybox:latest failed" >&2; exit 1; }
fi
touch /run/jsysbox-dind.ready
echo "jsysbox-dind-init: ready"
wait "$engine"
INIT
  chmod 0755 "$1"
}

build_busybox() {
  image_is_current jsysbox/busybox:latest && { echo "jsysbox/busybox:latest is current"; return; }
  local tarball
  tarball=$(mktemp)
  make_busybox_tar "$tarball"
  docker import --change "LABEL io.jsysbox.build=$build_hash" --change 'CMD ["sh"]' "$tarball" jsysbox/busybox:latest >/dev/null
  rm -f "$tarball"
  echo "built jsysbox/busybox:latest"
}

# debootstrap_rootfs NAME PACKAGES [SUITE]: a Debian SUITE (bookworm) rootfs with PACKAGES at $cache/NAME-rootfs (kept
# between runs, rebuilt when PACKAGES or SUITE change), plus the busybox tarball images seed their inner engine with.
# Prints its path.
debootstrap_rootfs() {
  local rootfs=$cache/$1-rootfs packages=$2 suite=${3:-bookworm}
  if [ ! -f "$rootfs/.jsysbox-packages" ] || [ "$(cat "$rootfs/.jsysbox-packages")" != "$packages" ] \
    || [ "$(cat "$rootfs/.jsysbox-suite" 2>/dev/null || echo bookworm)" != "$suite" ]; then
    echo "debootstrap $suite ($packages) into $rootfs ..." >&2
    mkdir -p "$cache"
    # A half-built rootfs from an interrupted run: debootstrap output holds no mounts, and
    # --one-file-system keeps rm from ever leaving it.
    [ -e "$rootfs.tmp" ] && rm -rf --one-file-system "$rootfs.tmp"
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs.tmp" "$mirror" >"$cache/debootstrap-$1.log" 2>&1 \
      || die "debootstrap failed; see $cache/debootstrap-$1.log"
    rm -f "$rootfs.tmp"/var/cache/apt/archives/*.deb
    echo "$packages" >"$rootfs.tmp/.jsysbox-packages"
    echo "$suite" >"$rootfs.tmp/.jsysbox-suite"
    [ -e "$rootfs" ] && rm -rf --one-file-system "$rootfs"
    mv "$rootfs.tmp" "$rootfs"
  fi
  # Our own debootstrap output: these paths are real directories we created, not container input.
  mkdir -p "$rootfs/opt/jsysbox" "$rootfs/usr/local/bin"
  make_busybox_tar "$rootfs/opt/jsysbox/busybox-rootfs.tar"
  echo "$rootfs"
}

# import_rootfs ROOTFS IMAGE CMD_JSON: the rootfs as IMAGE, labelled with this script's hash.
import_rootfs() {
  tar -C "$1" --numeric-owner --exclude=./.jsysbox-packages --exclude=./.jsysbox-suite -c . |
    docker import --change "LABEL io.jsysbox.build=$build_hash" --change "CMD $3" - "$2" >/dev/null
  echo "built $2"
}

# build_engine_image NAME PACKAGES [SUITE]: jsysbox/NAME, a Debian rootfs whose init (tini + jsysbox-dind-init) starts
# an inner engine seeded with busybox:latest: jsysbox/dind, jsysbox/jdk (the same plus a JDK and Maven), jsysbox/dind-sid.
build_engine_image() {
  image_is_current "jsysbox/$1:latest" && { echo "jsysbox/$1:latest is current"; return; }
  local rootfs
  rootfs=$(debootstrap_rootfs "$@")
  write_dind_init "$rootfs/usr/local/bin/jsysbox-dind-init"
  import_rootfs "$rootfs" "jsysbox/$1:latest" '["/usr/bin/tini", "--", "/usr/local/bin/jsysbox-dind-init"]'
}

build_systemd() {
  image_is_current jsysbox/systemd:latest && { echo "jsysbox/systemd:latest is current"; return; }
  import_rootfs "$(debootstrap_rootfs systemd "$systemd_packages")" jsysbox/systemd:rootfs '["/sbin/init"]'
  # systemd halts on SIGRTMIN+3 (SIGTERM would only make it re-execute): `docker stop` must send that. docker
  # import cannot set a stop signal, a one-line classic build can (no registry involved).
  printf 'FROM jsysbox/systemd:rootfs\nSTOPSIGNAL SIGRTMIN+3\n' | DOCKER_BUILDKIT=0 docker build -q -t jsysbox/systemd:latest - \
    >"$cache/build-systemd.log" 2>&1 || die "docker build of jsysbox/systemd:latest failed; see $cache/build-systemd.log"
  docker rmi jsysbox/systemd:rootfs >/dev/null
  echo "built jsysbox/systemd:latest (stop signal SIGRTMIN+3)"
}

build_podman() {
  image_is_current jsysbox/podman:latest && { echo "jsysbox/podman:latest is current"; return; }
  local rootfs
  rootfs=$(debootstrap_rootfs podman "$podman_packages")
  # Rootless podman maps a user namespace inside the container's own 65536 ids: give `builder` a range that fits.
  chroot "$rootfs" sh -c 'id builder >/dev/null 2>&1 || useradd -m -u 1000 builder'
  echo "builder:10000:50000" >"$rootfs/etc/subuid"
  echo "builder:10000:50000" >"$rootfs/etc/subgid"
  import_rootfs "$rootfs" jsysbox/podman:latest '["sleep", "infinity"]'
}

# build-images.sh [NAME...]: the images named, all of them by default (the demo needs only dind). Every name is
# checked before anything is built.
images=(busybox dind systemd podman jdk dind-sid)
[ $# = 0 ] || images=("$@")
for name in "${images[@]}"; do
  case $name in busybox|dind|systemd|podman|jdk|dind-sid) ;; *) die "unknown image '$name': one of busybox dind systemd podman jdk dind-sid" ;; esac
done
for name in "${images[@]}"; do
  case $name in
    busybox) build_busybox ;;
    dind) build_engine_image dind "$dind_packages" ;;
    systemd) build_systemd ;;
    podman) build_podman ;;
    jdk) build_engine_image jdk "$jdk_packages" ;;
    dind-sid) build_engine_image dind-sid "$dind_sid_packages" sid ;;
  esac
done
