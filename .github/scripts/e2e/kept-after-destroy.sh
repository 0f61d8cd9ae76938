#!/usr/bin/env bash
# After `pulumi destroy`: the namespace and the NFS homes volume and claim are kept, and no
# server is left running (the destroy stopped them through the hub before the release went).
#
#   kept-after-destroy.sh <namespace> <volume>
set -euo pipefail

namespace=$1
volume=$2

phase=$(kubectl get namespace "$namespace" -o jsonpath='{.status.phase}')
[ "$phase" = Active ] || { echo "namespace $namespace is '$phase' after destroy" >&2; exit 1; }
kubectl get persistentvolume "$volume" >/dev/null
kubectl -n "$namespace" get persistentvolumeclaim homes >/dev/null
pods=$(kubectl -n "$namespace" get pods -l component=singleuser-server -o name)
if [ -n "$pods" ]; then
  echo "servers still running after destroy: $pods" >&2
  exit 1
fi
echo "namespace, volume and claim kept; no server left running"
