#!/usr/bin/env bash
# NetworkPolicy enforced (kind's kindnetd since kind v0.24): from a user's server, the hub's API
# is reachable and the NFS server is not (the servers' policy admits no private address but
# those it names, tests/network/flows.test.ts "server → NAS nfs:2049"), while the kind node
# itself reaches that NFS server, so the refusal is the policy's and not a dead port.
#
#   netpol-check.sh <namespace> <user label slug> <nfs server> <kind node container>
set -euo pipefail

namespace=$1
user=$2
nfs=$3
node=$4

pod=$(kubectl -n "$namespace" get pods -l "component=singleuser-server,hub.jupyter.org/username=$user" -o name | head -n 1)
[ -n "$pod" ] || { echo "no server pod of $user in $namespace" >&2; exit 1; }

reach() {
  kubectl -n "$namespace" exec "$pod" -c notebook -- python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
    print("open")
except OSError:
    print("closed")
' "$1" "$2"
}

docker exec "$node" timeout 10 bash -c "exec 3<>/dev/tcp/$nfs/2049" || { echo "the node cannot reach $nfs:2049 either: no proof" >&2; exit 1; }
[ "$(reach hub 8081)" = open ] || { echo "server → hub:8081 is closed, it must be open" >&2; exit 1; }
[ "$(reach "$nfs" 2049)" = closed ] || { echo "server → NFS $nfs:2049 is open: the NetworkPolicy is not enforced" >&2; exit 1; }
echo "server → hub:8081 open, server → NFS $nfs:2049 closed"
