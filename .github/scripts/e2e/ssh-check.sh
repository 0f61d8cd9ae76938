#!/usr/bin/env bash
# SSH through the gateway (sshpiperd) into a user's server with the run's throwaway key, the
# gateway's host key pinned to the stack's sshHostKeyFingerprint output first.
#
#   ssh-check.sh <user> <key> <port> <expected fingerprint> <remote command>
#
# The gateway is reached on 127.0.0.1:<port> (kubectl port-forward svc/<release>-ssh <port>:22).
set -euo pipefail

user=$1
key=$2
port=$3
expected=$4
shift 4

known_hosts=$(mktemp)
trap 'rm -f "$known_hosts"' EXIT
ssh-keyscan -p "$port" -t ed25519 127.0.0.1 2>/dev/null >"$known_hosts"
actual=$(ssh-keygen -lf "$known_hosts" | awk '{ print $2 }')
if [ "$actual" != "$expected" ]; then
  echo "the gateway presents host key $actual, the stack says $expected" >&2
  exit 1
fi
ssh -i "$key" -p "$port" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known_hosts" \
  -o BatchMode=yes -o ConnectTimeout=20 "$user@127.0.0.1" "$@"
