#!/usr/bin/env bash
# The hub's REST API for the e2e job (JupyterHub 5.5, jupyterhub/apihandlers/users.py), through
# the port-forward at $HUB (default http://127.0.0.1:8080).
#
#   hub.sh token <user>             log in (the first login sets the password); prints an API token
#   hub.sh login-refused <user>     exit 0 when the hub refuses <user>'s login, with their password
#   hub.sh start <user>             start the user's default server ($TOKEN), wait until ready
#   hub.sh stop <user>              stop it ($TOKEN), wait until stopped
#   hub.sh wait-stopped <user> <s>  wait up to <s> seconds until the user has no server ($TOKEN)
#   hub.sh token-refused <token>    exit 0 when the hub no longer accepts <token>
#
# Passwords are kept in $PASSWORDS (a directory, default a temporary one), one file per user, so
# that a later login uses the password the first one set.
set -euo pipefail

HUB=${HUB:-http://127.0.0.1:8080}
PASSWORDS=${PASSWORDS:-${RUNNER_TEMP:-/tmp}/e2e-passwords}
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT

api() { curl -fsS -H "Authorization: token $TOKEN" "$@"; }

# POST /hub/login the way the browser does: the login page sets the _xsrf cookie, the form posts
# it back; FirstUseAuthenticator stores the password of a configured user's first login.
login() {
  local user=$1 password=$2 xsrf
  curl -fsS -c "$jar" -b "$jar" "$HUB/hub/login" >/dev/null
  xsrf=$(awk '$6 == "_xsrf" { print $7 }' "$jar" | tail -n 1)
  curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
    --data-urlencode "username=$user" --data-urlencode "password=$password" --data-urlencode "_xsrf=$xsrf" \
    "$HUB/hub/login"
}

password_of() {
  mkdir -p "$PASSWORDS"
  [ -s "$PASSWORDS/$1" ] || openssl rand -hex 16 >"$PASSWORDS/$1"
  cat "$PASSWORDS/$1"
}

active_servers() { api "$HUB/hub/api/users/$1" | jq -r '.servers | length'; }

case ${1:-} in
  token)
    user=$2
    password=$(password_of "$user")
    status=$(login "$user" "$password")
    [ "$status" = 302 ] || { echo "login as $user answered $status, not a redirect" >&2; exit 1; }
    # POST /users/<name>/tokens with the password in "auth": the Authenticator checks it again.
    body=$(jq -cn --arg user "$user" --arg password "$password" '{auth: {username: $user, password: $password}, note: "e2e", expires_in: 7200}')
    curl -fsS -X POST -H 'Content-Type: application/json' -d "$body" "$HUB/hub/api/users/$user/tokens" | jq -er .token
    ;;
  login-refused)
    status=$(login "$2" "$(password_of "$2")")
    [ "$status" != 302 ] || { echo "the hub let $2 log in" >&2; exit 1; }
    ;;
  start)
    user=$2
    # 201: started, 202: starting. Polling tolerates a failed request; the timeout decides.
    api -X POST "$HUB/hub/api/users/$user/server" >/dev/null
    for _ in $(seq 120); do
      ready=$(api "$HUB/hub/api/users/$user" | jq -r '.servers[""].ready // false' || echo false)
      [ "$ready" = true ] && exit 0
      sleep 5
    done
    echo "$user's server did not become ready" >&2
    exit 1
    ;;
  stop)
    api -X DELETE "$HUB/hub/api/users/$2/server" >/dev/null
    exec "$0" wait-stopped "$2" 300
    ;;
  wait-stopped)
    user=$2
    for _ in $(seq "$(( $3 / 5 ))"); do
      [ "$(active_servers "$user" || echo unknown)" = 0 ] && exit 0
      sleep 5
    done
    echo "$user still has a server after $3s" >&2
    exit 1
    ;;
  token-refused)
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: token $2" "$HUB/hub/api/user")
    [ "$status" = 403 ] || { echo "the hub answered $status to the token, not 403" >&2; exit 1; }
    ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
