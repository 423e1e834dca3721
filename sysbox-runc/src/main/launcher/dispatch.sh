# The head of jsysbox-runc's launcher (POSIX sh; installer/install.sh writes it into /usr/local/bin/jsysbox-runc,
# followed by the line that starts the Java CLI). containerd runs the runtime several times per container (create,
# start, state, kill, delete...): every run that ends here costs a shell (~1 ms), not a JVM (~100 ms).
# - create: the warm manager does the work around runc, asked through its launcher socket with OpenBSD netcat
#   (io.jsysbox.mgr.LauncherEndpoint says why not curl, and the protocol): "create" checks, prepares and rewrites the
#   bundle; runc create runs here, in containerd-shim's process tree, with our stdio; "started" sets the container up
#   (or "release" undoes "create" when runc failed). Errors: the manager appends runc's log entry to --log, the
#   launcher prints the line on stderr. The Java CLI takes over whatever this path does not handle the same way: no
#   nc.openbsd, no --pid-file, a manager that does not answer there (its message is the CLI's), JSYSBOX_MGR_SOCKET,
#   a value with a newline, unusual flags, --help.
# - delete first waits while the manager copies the container's inner images into its rootfs (it does when the init
#   exits; /run/jsysbox/sync/<id> holds "MANAGER-PID INIT-PID" until then): Docker commits or removes the layer next.
#   The wait ends when the manager dies, and after 25 s in any case: a delete must never hang (issue 13), and Docker
#   gives up on a delete after about 30 s, leaving the shim behind. The manager stops a copy-out 15 s after the exit
#   and removes what it copied (ContainerManager.COPY_OUT_AT_EXIT). Clock: /proc/uptime, read by a builtin.
# - exec: a root process joining a system container gets its capabilities (Docker's exec process.json lists Docker's
#   default set) and AppArmor profile (it names docker-default, which denies mounts: `docker exec --privileged`
#   grants CAP_SYS_ADMIN but keeps it). A process.json that already grants CAP_SYS_ADMIN and names no engine's
#   default profile (the CRI copies the container's rewritten process: ExecSync, which the kubelet's exec probes
#   call every few seconds), or none at all (runc then takes the container's process), needs nothing and goes
#   straight to runc; the profile names are io.jsysbox.spec.AppArmorConfinement.ENGINE_DEFAULTS. Otherwise the
#   manager's "exec" step rewrites the process file (runc's state file of the container, ROOT/ID/state.json, says
#   whether it is a jsysbox container and which profile it has), and runc exec runs here. Any other answer, a flag
#   this scan does not know, and --preserve-fds (refused) go to the Java CLI, which parses runc's grammar exactly.
# - run and pause (docker commit) go to the JVM; runc's other verbs straight to runc. Anything else (help, version,
#   unknown flags or verbs) goes to the Java CLI, which parses runc's full grammar.
runc=${JSYSBOX_RUNC:-/usr/sbin/runc}
skip= verb= log= log_format= root=/run/runc verb_at=0
for arg do
  verb_at=$((verb_at + 1))
  if [ -n "$skip" ]; then
    case $skip in --log) log=$arg ;; --log-format) log_format=$arg ;; --root) root=$arg ;; esac
    skip=; continue
  fi
  case $arg in
    --root|--log|--log-format|--criu|--rootless) skip=$arg ;;
    --log=*) log=${arg#--log=} ;;
    --log-format=*) log_format=${arg#--log-format=} ;;
    --root=*) root=${arg#--root=} ;;
    --*=*|--debug|--systemd-cgroup) ;;
    *) verb=$arg; break ;;
  esac
done

# Sends step $1 with the fields name=value that follow (and the runtime's log, for the manager's error entry) to
# the manager's launcher endpoint; sets $status (000: no answer, or a value it cannot carry) and $answer (the message).
ask_manager() {
  request="$1
log=$log
log-format=$log_format"
  shift
  for field do
    case $field in *"
"*) status=000 answer=; return ;; esac
    request="$request
$field"
  done
  answer=$(printf '%s\n\n' "$request" | nc.openbsd -U /run/jsysbox/launcher.sock 2>/dev/null)
  status=${answer%% *}
  answer=${answer#"$status"}
  answer=${answer# }
  [ -n "$status" ] || status=000
}

# This shell's capability bounding set (hex), which runc, its child, can grant: a container's root gets it.
own_capbnd() {
  capbnd=
  while read -r key value; do
    if [ "$key" = CapBnd: ]; then capbnd=$value; break; fi
  done </proc/self/status
}

case $verb in
  create)
    id= bundle=$PWD pid_file= want= java= i=0
    for arg do
      i=$((i + 1))
      [ "$i" -gt "$verb_at" ] || continue
      if [ -n "$want" ]; then
        case $want in bundle) bundle=$arg ;; pid) pid_file=$arg ;; esac
        want=; continue
      fi
      case $arg in
        -b|--bundle) want=bundle ;;
        -b=*|--bundle=*) bundle=${arg#*=} ;;
        --pid-file) want=pid ;;
        --pid-file=*) pid_file=${arg#--pid-file=} ;;
        --console-socket) want=other ;;
        --console-socket=*|--no-pivot|--no-new-keyring) ;;
        -*) java=1 ;;
        *) if [ -z "$id" ]; then id=$arg; else java=1; fi ;;
      esac
    done
    case $bundle in /*) ;; *) bundle=$PWD/$bundle ;; esac
    if [ -z "$java" ] && [ -z "$want" ] && [ -n "$id" ] && [ -n "$pid_file" ] && [ -z "${JSYSBOX_MGR_SOCKET:-}" ] \
        && command -v nc.openbsd >/dev/null 2>&1; then
      own_capbnd
      ask_manager create "id=$id" "bundle=$bundle" "capbnd=$capbnd"
      if [ "$status" != 000 ]; then
        if [ "$status" != 200 ]; then echo "jsysbox: $answer" >&2; exit 1; fi
        [ -z "$answer" ] || echo "jsysbox: $answer" >&2
        "$runc" "$@"
        code=$?
        if [ "$code" != 0 ]; then
          # runc has reported why, on stderr and in the log: its message is the one Docker should show.
          ask_manager release "id=$id"
          exit "$code"
        fi
        pid=
        read -r pid <"$pid_file"
        ask_manager started "id=$id" "pid=$pid" "bundle=$bundle"
        [ "$status" = 200 ] && exit 0
        [ "$status" = 000 ] && answer="jsysbox-mgr did not answer on /run/jsysbox/launcher.sock while setting up container $id: check 'jsysbox doctor'"
        echo "jsysbox: $answer" >&2
        # runc delete with the global flags only: the arguments before the verb.
        i=0
        for arg do
          i=$((i + 1))
          [ "$i" -lt "$verb_at" ] && set -- "$@" "$arg"
          shift
        done
        "$runc" "$@" delete --force "$id"
        ask_manager release "id=$id"
        exit 1
      fi
    fi ;;
  delete)
    for id do :; done
    marker=/run/jsysbox/sync/$id
    read -r now _ </proc/uptime
    deadline=$((${now%.*} + 25))
    while [ -f "$marker" ] && read -r mgr init <"$marker" 2>/dev/null \
      && kill -0 "$mgr" 2>/dev/null && ! kill -0 "$init" 2>/dev/null; do
      read -r now _ </proc/uptime
      if [ "${now%.*}" -ge "$deadline" ]; then
        echo "jsysbox-runc: delete $id: the manager (pid $mgr) is still copying the container's special dirs into its layer after 25 s; deleting without waiting: the layer may miss that content (see /var/log/jsysbox/mgr.log)" >&2
        break
      fi
      sleep 0.01
    done
    exec "$runc" "$@" ;;
  exec)
    process= id= want= java= i=0
    for arg do
      i=$((i + 1))
      [ "$i" -gt "$verb_at" ] || continue
      if [ -n "$want" ]; then
        [ "$want" = process ] && process=$arg
        want=; continue
      fi
      case $arg in
        -p|--process) want=process ;;
        --process=*) process=${arg#--process=} ;;
        --console-socket|--cwd|-e|--env|-u|--user|-g|--additional-gids|--pid-file|--process-label|--apparmor|-c|--cap|--cgroup) want=other ;;
        --preserve-fds|--preserve-fds=*) java=1; break ;;
        --*=*|-t|--tty|-d|--detach|--no-new-privs|--ignore-paused) ;;
        -*) java=1; break ;;
        *) id=$arg; break ;;
      esac
    done
    # One awk pass over the process file decides (two greps cost a fork and an exec each, ~1.3 ms here, and the
    # shell's read builtin takes a byte per syscall: a kubelet's exec probe pays this every few seconds).
    if [ -z "$java" ] && { [ -z "$process" ] || awk '/"CAP_SYS_ADMIN"/ { admin = 1 }
        /"(docker-default|cri-containerd[.]apparmor[.]d|crio-default)"/ { engine = 1 }
        END { exit !(admin && !engine) }' "$process" 2>/dev/null; }; then
      exec "$runc" "$@"
    fi
    case $process in ''|/*) ;; *) process=$PWD/$process ;; esac
    if [ -z "$java" ] && [ -n "$id" ] && [ -n "$process" ] && [ -z "${JSYSBOX_MGR_SOCKET:-}" ] \
        && command -v nc.openbsd >/dev/null 2>&1; then
      own_capbnd
      case $root in /*) ;; *) root=$PWD/$root ;; esac
      ask_manager exec "id=$id" "process=$process" "state=$root/$id/state.json" "capbnd=$capbnd"
      # Anything but done (no manager, no such container, a process file it cannot read): the Java CLI does the
      # same work through runc state, and its runc reports what is wrong as runc would.
      [ "$status" = 200 ] && exec "$runc" "$@"
    fi ;;
  start|state|kill|resume|ps|events|update|features|list|checkpoint|restore)
    exec "$runc" "$@" ;;
esac
