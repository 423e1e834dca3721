#!/usr/bin/env bash
# The jsysbox demo: a Docker engine inside an unprivileged system container.
# Starts jsysbox/dind with --runtime=jsysbox, runs `docker run busybox` inside it, and shows from the host
# that the container's root is an ordinary, unprivileged uid. Needs installer/install.sh to have run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=jsysbox-demo
image=jsysbox/dind:latest

die() { echo "demo: FAILED: $*" >&2; exit 1; }
step() { printf '\n--- %s\n' "$*"; }

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
grep -q '"jsysbox"' <<<"$(docker info --format '{{json .Runtimes}}' 2>/dev/null)" \
  || die "Docker has no jsysbox runtime: run installer/install.sh first"

step "building the image (skipped when current)"
"$repo/installer/images/build-images.sh" dind

cleanup() { docker rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

step "docker run -d --runtime=jsysbox --name $name $image"
docker run -d --runtime=jsysbox --name "$name" "$image" >/dev/null || die "the container did not start (see the error above)"

step "waiting for the Docker engine inside the container"
for _ in $(seq 1 120); do
  grep -q 'jsysbox-dind-init: ready' <<<"$(docker logs "$name" 2>/dev/null)" && break
  [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || break
  sleep 1
done
if ! grep -q 'jsysbox-dind-init: ready' <<<"$(docker logs "$name" 2>/dev/null)"; then
  docker logs "$name" 2>&1 | tail -n 20 >&2
  docker exec "$name" tail -n 20 /var/log/dockerd.log >&2 2>/dev/null || true
  die "the inner Docker engine did not become ready within 120s"
fi
docker exec "$name" docker version --format 'inner engine: Docker {{.Server.Version}}'

step "docker run --rm busybox echo ... (inside $name)"
docker exec "$name" docker run --rm busybox echo "hello from busybox, in a container, in a jsysbox container" \
  || die "the inner docker run failed"

step "the container seen from the host"
pid=$(docker inspect -f '{{.State.Pid}}' "$name")
uid=$(ps -o uid= -p "$pid" | tr -d ' ')
echo "init process: host pid $pid, host uid $uid (root inside the container)"
echo "uid_map (inside-id  host-id  count):"
sed 's/^/  /' "/proc/$pid/uid_map"
[ "$uid" != 0 ] || die "the container's root is host root: the jsysbox runtime did not map it"

step "removing $name"
cleanup
trap - EXIT
echo "demo: OK"
