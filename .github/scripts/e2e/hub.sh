#!/usr/bin/env bash
# The hub's REST API for the e2e job (JupyterHub 5.5, jupyterhub/apihandlers/users.py), through
# the port-forward at $HUB (default http://127.0.0.1:8080).
#
#   hub.sh token <user>             log in (the first login sets the password); prints an API token
#   hub.sh wrong-password-refused <user>
#                                   exit 0 when the hub refuses a wrong password for <user> (403)
#   hub.sh login-refused <user>     exit 0 when the hub refuses <user>'s login with their password,
#                                   the way it refuses a login: 403 and its login page's error
#   hub.sh start <user>             start the user's default server ($TOKEN), wait until ready
#   hub.sh running <user>           exit 0 when the user's default server is running and ready ($TOKEN)
#   hub.sh stop <user>              stop it ($TOKEN), wait until stopped
#   hub.sh wait-stopped <user> <s>  wait up to <s> seconds until the user has no server ($TOKEN)
#   hub.sh token-refused <token>    exit 0 when the hub no longer accepts <token>
#   hub.sh delete-user <user>       delete the user from the hub ($TOKEN); exit 0 once it is gone
#
# Passwords are kept in $PASSWORDS (a directory, default a temporary one), one file per user, so
# that a later login uses the password the first one set.
set -euo pipefail

HUB=${HUB:-http://127.0.0.1:8080}
PASSWORDS=${PASSWORDS:-${RUNNER_TEMP:-/tmp}/e2e-passwords}
# Seconds between polls of the hub (the offline tests poll faster).
POLL_SECONDS=${E2E_POLL_SECONDS:-5}
jar=$(mktemp)

api() { curl -fsS -H "Authorization: token $TOKEN" "$@"; }

# POST /hub/login the way the browser does: the login page sets the _xsrf cookie, the form posts
# it back; FirstUseAuthenticator stores the password of a configured user's first login. Prints
# the status; the page the hub answered with is left in $page.
page=$(mktemp)
trap 'rm -f "$jar" "$page"' EXIT
login() {
  local user=$1 password=$2 xsrf
  curl -fsS -c "$jar" -b "$jar" "$HUB/hub/login" >/dev/null
  xsrf=$(awk '$6 == "_xsrf" { print $7 }' "$jar" | tail -n 1)
  curl -sS -o "$page" -w '%{http_code}' -c "$jar" -b "$jar" \
    --data-urlencode "username=$user" --data-urlencode "password=$password" --data-urlencode "_xsrf=$xsrf" \
    "$HUB/hub/login"
}

# What LoginHandler.post answers a refused login with (jupyterhub/handlers/login.py, 5.5.0):
# status 403 and the login page rendered with this error. Anything else (a 500, a proxy's 502)
# is not the hub refusing the user.
REFUSED_LOGIN_ERROR='Invalid username or password'

# POST /users/<name>/tokens with the password in "auth": the Authenticator checks it
# (apihandlers/users.py UserTokenListAPIHandler.post); prints the status, the answer in $page.
token_request() {
  local body
  body=$(jq -cn --arg user "$1" --arg password "$2" '{auth: {username: $user, password: $password}, note: "e2e", expires_in: 7200}')
  curl -sS -o "$page" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$body" "$HUB/hub/api/users/$1/tokens"
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
    status=$(token_request "$user" "$password")
    [ "$status" = 201 ] || { echo "a token for $user answered $status, not 201" >&2; exit 1; }
    jq -er .token "$page"
    ;;
  wrong-password-refused)
    # Only meaningful after `token`: the first login stored the password, so this one must differ.
    status=$(token_request "$2" "not-$(password_of "$2")")
    [ "$status" = 403 ] || { echo "a wrong password for $2 answered $status, not 403" >&2; exit 1; }
    ;;
  login-refused)
    status=$(login "$2" "$(password_of "$2")")
    [ "$status" != 302 ] || { echo "the hub let $2 log in" >&2; exit 1; }
    [ "$status" = 403 ] || { echo "the login of $2 answered $status, not the hub's refusal (403)" >&2; exit 1; }
    grep -qF "$REFUSED_LOGIN_ERROR" "$page" || { echo "the login of $2 answered 403 without the hub's '$REFUSED_LOGIN_ERROR'" >&2; exit 1; }
    ;;
  start)
    user=$2
    # 201: started, 202: starting. Polling tolerates a failed request; the timeout decides.
    api -X POST "$HUB/hub/api/users/$user/server" >/dev/null
    deadline=$((SECONDS + 600))
    while [ "$SECONDS" -lt "$deadline" ]; do
      ready=$(api "$HUB/hub/api/users/$user" | jq -r '.servers[""].ready // false' || echo false)
      [ "$ready" = true ] && exit 0
      sleep "$POLL_SECONDS"
    done
    echo "$user's server did not become ready" >&2
    exit 1
    ;;
  running)
    ready=$(api "$HUB/hub/api/users/$2" | jq -r '.servers[""].ready // false')
    [ "$ready" = true ] || { echo "$2's server is not running" >&2; exit 1; }
    ;;
  delete-user)
    # UserAPIHandler.delete: 204 once the user's spawners were told to delete what they keep
    # (KubeSpawner.delete_forever: the home claim when delete_pvc is on).
    status=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: token $TOKEN" "$HUB/hub/api/users/$2")
    [ "$status" = 204 ] || { echo "deleting $2 answered $status, not 204" >&2; exit 1; }
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" "$HUB/hub/api/users/$2")
    [ "$status" = 404 ] || { echo "$2 is still in the hub after deletion ($status)" >&2; exit 1; }
    ;;
  stop)
    api -X DELETE "$HUB/hub/api/users/$2/server" >/dev/null
    # exec ends this shell without its EXIT trap: the temporary files go first.
    rm -f "$jar" "$page"
    exec "$0" wait-stopped "$2" 300
    ;;
  wait-stopped)
    user=$2
    deadline=$((SECONDS + $3))
    while [ "$SECONDS" -lt "$deadline" ]; do
      [ "$(active_servers "$user" || echo unknown)" = 0 ] && exit 0
      sleep "$POLL_SECONDS"
    done
    echo "$user still has a server after $3s" >&2
    exit 1
    ;;
  token-refused)
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: token $2" "$HUB/hub/api/user")
    [ "$status" = 403 ] || { echo "the hub answered $status to the token, not 403" >&2; exit 1; }
    ;;
  *)
    sed -n '2,20p' "$0" >&2
    exit 2
    ;;
esac
