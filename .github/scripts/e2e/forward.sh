#!/usr/bin/env bash
# `kubectl port-forward` that comes back: it exits when its connection to the pod drops (a pod
# restart, an upgrade, a broken stream), and later steps would then talk to a closed port. A
# loop in the background starts it again, until `forward.sh stop`.
#
#   forward.sh start <name> <namespace> <service> <local port>:<service port>
#       runs in the background, logs to $RUNNER_TEMP/<name>.log, returns at once
#   forward.sh stop <name>
set -euo pipefail

dir=${RUNNER_TEMP:-/tmp}
mode=${1:-}
name=${2:-}
[ -n "$name" ] || { sed -n '2,9p' "$0" >&2; exit 2; }
pidfile="$dir/$name.forward.pid"

stop() {
  [ -f "$pidfile" ] || return 0
  # The loop is a process group of its own (setsid): end it and the kubectl it runs.
  kill -- "-$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

case $mode in
  start)
    [ $# -eq 5 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
    stop
    namespace=$3 service=$4 ports=$5
    # shellcheck disable=SC2016 # the loop's own arguments, expanded by the inner bash
    setsid bash -c '
      while true; do
        kubectl -n "$1" port-forward "svc/$2" "$3" || true
        echo "port-forward svc/$2 $3 ended; starting it again" >&2
        sleep 1
      done' forward "$namespace" "$service" "$ports" >>"$dir/$name.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    ;;
  stop)
    stop
    ;;
  *)
    sed -n '2,9p' "$0" >&2
    exit 2
    ;;
esac
