#!/usr/bin/env bash
# A user's home claim on a stack with dynamic homes, found by the labels KubeSpawner 7 gives it
# (spawner.py get_pvc_manifest: component=singleuser-storage and hub.jupyter.org/username).
#
#   home-claim.sh uid <namespace> <user>         prints the uid of the user's one home claim
#   home-claim.sh kept <namespace> <user> <uid>  exit 0 when that very claim (same uid) is still
#                                                there and not being deleted
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
mode=$1
namespace=$2
user=$3

claims=$(kubectl -n "$namespace" get persistentvolumeclaims -l "component=singleuser-storage,hub.jupyter.org/username=$user" -o json)
count=$(jq '.items | length' <<<"$claims")

case $mode in
  uid)
    [ "$count" = 1 ] || { echo "$user has $count home claims in $namespace, not 1" >&2; exit 1; }
    jq -er '.items[0].metadata.uid' <<<"$claims"
    ;;
  kept)
    uid=${4:?the claim uid that must be kept}
    claim=$(jq -c --arg uid "$uid" '.items[] | select(.metadata.uid == $uid)' <<<"$claims")
    [ -n "$claim" ] || { echo "$user's home claim $uid is gone from $namespace" >&2; exit 1; }
    deleting=$(jq -r '.metadata.deletionTimestamp // empty' <<<"$claim")
    [ -z "$deleting" ] || { echo "$user's home claim $uid is being deleted (since $deleting)" >&2; exit 1; }
    echo "$user's home claim $(jq -r .metadata.name <<<"$claim") ($uid) is kept"
    ;;
  *)
    sed -n '2,7p' "$0" >&2
    exit 2
    ;;
esac
