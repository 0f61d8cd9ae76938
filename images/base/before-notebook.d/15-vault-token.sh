#!/bin/bash
# shellcheck shell=bash
#
# Start hook: unwraps the server's Vault token into a file in memory, seconds after the container
# starts, so the one-time wrapping token in the pod spec is spent before anyone else can use it.
#
# The hub never puts a Vault token in a server's pod spec (anyone who may `get pods` reads that).
# It puts a response-wrapped one there: NOTEBOOK_VAULT_WRAPPING_TOKEN, a single-use token that
# Vault exchanges once for the real one (sys/wrapping/unwrap), within userTokens.wrapTtl. This
# hook makes that exchange with the notebook helper the hub mounts into every server
# (/opt/jupyterhub/python/vault_secrets.py, `python3 vault_secrets.py unwrap`) and the token lands
# in VAULT_TOKEN_FILE, in an emptyDir of medium Memory that only this container mounts, mode 0600,
# owned by the notebook user. If someone unwrapped first, Vault refuses and this hook says so in
# the server's log; every vault_secrets call says so too. Without a wrapping token (no Vault, or
# Vault gave none: NOTEBOOK_VAULT_STATUS) it does nothing. It never prints a token.
#
# start.sh (Docker Stacks) *sources* this file, as root when the container starts as root.
# So it is functions and one guarded call: no `exit`, no `set -e`, nothing left behind.
#
# Environment (the defaults are the container's; tests point them into a temp directory):
#   NOTEBOOK_VAULT_WRAPPING_TOKEN  the one-time wrapping token (set by the hub)
#   VAULT_TOKEN_FILE               where the token goes (set by the hub; its directory is the emptyDir)
#   JUPYTERHUB_VAULT_HELPER        the helper (/opt/jupyterhub/python/vault_secrets.py)
#   NB_UID, NB_GID                 the notebook user (Docker Stacks)

_jupyterhub_vault_log() {
    echo "jupyterhub-vault: $*" >&2
}

_jupyterhub_vault_unwrap() {
    if [ -z "${NOTEBOOK_VAULT_WRAPPING_TOKEN:-}" ]; then
        return 0
    fi
    local helper="${JUPYTERHUB_VAULT_HELPER:-/opt/jupyterhub/python/vault_secrets.py}"
    local python
    if ! python="$(command -v python3)"; then
        _jupyterhub_vault_log "WARNING: no python3 in this image; the first vault_secrets call unwraps the token"
        return 1
    fi
    if [ ! -r "$helper" ]; then
        _jupyterhub_vault_log "WARNING: no Vault helper at $helper; the token stays wrapped"
        return 1
    fi
    if [ "$(id -u)" != 0 ]; then
        "$python" "$helper" unwrap
        return
    fi
    # As root (sudo profiles): the fresh emptyDir becomes the user's own, and the unwrap runs as
    # the user, so the token file is the user's and root writes nothing where the user could
    # have planted a link.
    local uid="${NB_UID:-1000}" gid="${NB_GID:-100}" groups=--init-groups
    local directory
    directory="$(dirname "${VAULT_TOKEN_FILE:-/run/jupyterhub-vault/token}")"
    if [ -d "$directory" ] && [ ! -L "$directory" ]; then
        if ! { chown "$uid:$gid" "$directory" && chmod 700 "$directory"; }; then
            return 1
        fi
    fi
    getent passwd "$uid" >/dev/null || groups=--clear-groups
    setpriv --reuid="$uid" --regid="$gid" "$groups" "$python" "$helper" unwrap
}

_jupyterhub_vault_unwrap || _jupyterhub_vault_log "WARNING: Vault token not unwrapped at start (see above)"
unset -f _jupyterhub_vault_log _jupyterhub_vault_unwrap
