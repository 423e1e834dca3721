# What the bench scripts check before they start, sourced by them: each check says what is missing and how to get it,
# on one line prefixed with the script's name, and exits 1.
bench=$(basename "$0" .sh)

bench_fail() { echo "$bench: $*" >&2; exit 1; }

# need_root [WHY]
need_root() { [ "$(id -u)" = 0 ] || bench_fail "run as root${1:+ ($1)}"; }

# need_positive "NAMES" VALUE...: each VALUE is a positive integer (NAMES, as the usage line says them).
need_positive() {
  local names=$1 value what="a positive integer"
  shift
  [ $# = 1 ] || what="positive integers"
  for value in "$@"; do
    case "$value" in ''|*[!0-9]*|0) bench_fail "$names must be $what, got '$*'" ;; esac
  done
}

need_images() {
  local image
  for image in "$@"; do
    docker image inspect "$image" >/dev/null 2>&1 || bench_fail "image $image missing: run installer/images/build-images.sh"
  done
}

need_jsysbox_runtime() {
  grep -q '"jsysbox"' <<<"$(docker info --format '{{json .Runtimes}}')" \
    || bench_fail "Docker has no jsysbox runtime: run installer/install.sh"
}
