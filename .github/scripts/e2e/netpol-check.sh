#!/usr/bin/env bash
# NetworkPolicy enforced (kindnetd), each denial next to a control that shows the same flow open
# where no policy closes it, so a dead port or a wrong address cannot pass for a denial:
#   - the kind node and a probe pod that no NetworkPolicy selects reach the NFS server; a user's
#     server does not (the servers' policy admits no private address but those it names,
#     tests/network/flows.test.ts "server → NAS nfs:2049");
#   - the server reaches the hub's API (hub:8081);
#   - the server reaches neither the SSH gateway (its pod, nor its node port) nor another
#     server's sshd, which listens (checked from inside that server).
#
#   netpol-check.sh <namespace> <release> <server user> <other server user> <nfs server>
#                   <kind node container> <node address> <gateway node port> <probe image>
#
# The probe pod runs <probe image> (one the node has, with python3), labelled
# app.kubernetes.io/name=e2e-netpol-probe, and is deleted on exit.
set -euo pipefail

[ $# -eq 9 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
namespace=$1
release=$2
user=$3
other=$4
nfs=$5
node=$6
node_address=$7
node_port=$8
probe_image=$9
probe=e2e-netpol-probe

k() { kubectl -n "$namespace" "$@"; }

server_pod() {
  local pod
  pod=$(k get pods -l "component=singleuser-server,hub.jupyter.org/username=$1" -o name | head -n 1)
  [ -n "$pod" ] || { echo "no server pod of $1 in $namespace" >&2; return 1; }
  echo "${pod#pod/}"
}

# open or closed: a TCP connection from <pod>'s <container> to <host>:<port> within
# E2E_PROBE_SECONDS (5; a NetworkPolicy drops packets, so a closed flow is a timeout).
reach() {
  k exec "$1" -c "$2" -- python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=float(sys.argv[1])).close()
    print("open")
except OSError:
    print("closed")
' "${E2E_PROBE_SECONDS:-5}" "$3" "$4"
}

expect() {
  local want=$1 what=$2 got
  shift 2
  got=$(reach "$@")
  if [ "$got" != "$want" ]; then
    echo "$what is '$got', it must be $want" >&2
    exit 1
  fi
  echo "$what: $got"
}

cleanup() { k delete pod "$probe" --ignore-not-found --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

server=$(server_pod "$user")
other_server=$(server_pod "$other")
gateway=$(k get pods -l "app.kubernetes.io/name=sshpiperd,app.kubernetes.io/instance=$release" -o jsonpath='{.items[0].status.podIP}')
other_address=$(k get pod "$other_server" -o jsonpath='{.status.podIP}')
[ -n "$gateway" ] || { echo "no SSH gateway pod of release $release in $namespace" >&2; exit 1; }
[ -n "$other_address" ] || { echo "$other_server has no address" >&2; exit 1; }

# Controls: where no policy applies, the NFS port answers.
docker exec "$node" timeout 10 bash -c "exec 3<>/dev/tcp/$nfs/2049" || { echo "the kind node cannot reach $nfs:2049: no proof" >&2; exit 1; }
echo "kind node → NFS $nfs:2049: open"
k run "$probe" --image="$probe_image" --image-pull-policy=Never --restart=Never \
  --labels="app.kubernetes.io/name=$probe" --command -- sleep 600 >/dev/null
k wait --for=condition=Ready "pod/$probe" --timeout=120s >/dev/null
expect open "probe pod (no policy) → NFS $nfs:2049" "$probe" "$probe" "$nfs" 2049
expect open "$other's server → its own sshd 127.0.0.1:2222" "$other_server" notebook 127.0.0.1 2222

# What the policies allow and deny.
expect open "$user's server → hub:8081" "$server" notebook hub 8081
expect closed "$user's server → NFS $nfs:2049" "$server" notebook "$nfs" 2049
expect closed "$user's server → SSH gateway pod $gateway:2222" "$server" notebook "$gateway" 2222
expect closed "$user's server → SSH node port $node_address:$node_port" "$server" notebook "$node_address" "$node_port"
expect closed "$user's server → $other's sshd $other_address:2222" "$server" notebook "$other_address" 2222
