#!/usr/bin/env bash
# SSH to an endpoint the way a user does, the gateway's host key pinned to the stack's
# sshHostKeyFingerprint output first.
#
#   ssh-check.sh login   <endpoint> <key> <fingerprint> <remote command...>
#       the login must succeed; prints what the command prints
#   ssh-check.sh refused <endpoint> <key> <fingerprint>
#       the gateway (its host key, so not a dead port or another server) must refuse the login
#
# <endpoint> is what the stack's sshEndpoints output gives a user, `<user>@<host>` or
# `<user>@<host> -p <port>` (components/ssh/SshGateway.ts); anything else, such as a host still
# `<address pending>`, fails here.
set -euo pipefail

mode=${1:-}
endpoint=${2:-}
key=${3:-}
expected=${4:-}
[ "$mode" = login ] || [ "$mode" = refused ] || { sed -n '2,12p' "$0" >&2; exit 2; }
shift 4

if [[ $endpoint =~ ^([a-z0-9][a-z0-9._@+-]*)@([A-Za-z0-9.:-]+)( -p ([0-9]+))?$ ]]; then
  user=${BASH_REMATCH[1]}
  host=${BASH_REMATCH[2]}
  port=${BASH_REMATCH[4]:-22}
else
  echo "not an SSH endpoint a user can use: '$endpoint'" >&2
  exit 1
fi

known_hosts=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$known_hosts" "$errors"' EXIT
ssh-keyscan -p "$port" -t ed25519 "$host" 2>/dev/null >"$known_hosts" || true
actual=$(ssh-keygen -lf "$known_hosts" 2>/dev/null | awk '{ print $2 }' || true)
if [ "$actual" != "$expected" ]; then
  echo "$host:$port presents host key '${actual:-none}', the stack says $expected" >&2
  exit 1
fi

client=(ssh -F /dev/null -i "$key" -p "$port" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known_hosts"
  -o BatchMode=yes -o ConnectTimeout=20 -o LogLevel=ERROR "$user@$host")

if [ "$mode" = login ]; then
  "${client[@]}" "$@"
  exit 0
fi

# refused: OpenSSH exits 255 for its own failures; a refusal at authentication prints
# "Permission denied" (userauth failure with no method left) or the server's disconnect.
# A timeout or a closed port is not a refusal: the host key above was read from this port.
if "${client[@]}" true 2>"$errors"; then
  echo "$user logged in at $host:$port with $key: it must be refused" >&2
  exit 1
fi
if grep -qE 'Permission denied|Received disconnect from' "$errors"; then
  echo "$user@$host:$port refused $key: $(tr '\n' ' ' <"$errors")"
  exit 0
fi
echo "$user@$host:$port failed without refusing the key: $(cat "$errors")" >&2
exit 1
