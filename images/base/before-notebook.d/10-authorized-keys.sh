#!/bin/bash
# shellcheck shell=bash
#
# Start hook: installs the SSH public keys the deployment mounts into the notebook user's
# ~/.ssh/authorized_keys, so nobody copies keys into a home by hand.
#
# Policy (images/README.md): the mounted keys go in a marked block at the top of
# authorized_keys. That block is rewritten at every server start, so a key removed from the
# deployment stops working at the next start. Lines outside the block belong to the user
# and are kept. With nothing mounted, a block left by an earlier start is removed, the rest
# of the file is left alone, and no file is created.
#
# start.sh (Docker Stacks) *sources* this file, as root when the container starts as root.
# So it is functions and one guarded call: no `exit`, no `set -e`, nothing left behind.
#
# Environment (the defaults are the container's; tests point them into a temp directory):
#   JUPYTERHUB_SSH_AUTHORIZED_KEYS  mounted keys file (/etc/jupyterhub/ssh/authorized_keys),
#                                   readable by the notebook user
#   JUPYTERHUB_SSH_HOME             the notebook user's home (/home/$NB_USER as root, else $HOME)
#   NB_USER, NB_UID, NB_GID         the notebook user (Docker Stacks)

_jupyterhub_keys_log() {
    echo "jupyterhub-ssh: $*" >&2
}

# Keys of a file, one per line: CRs (a Secret made from a Windows file) and blank lines dropped.
# awk, not sed, so that a last line without a newline still gets one.
_jupyterhub_keys_clean() {
    awk '{ sub(/\r$/, "") } NF' "$1"
}

# The user's own lines: the file without the block this hook manages.
_jupyterhub_keys_unmanaged() {
    awk -v begin="$1" -v end="$2" '$0 == begin { skip = 1; next } $0 == end { skip = 0; next } !skip' "$3"
}

# Installs the keys into the home given as $1, as whoever runs it (the notebook user).
_jupyterhub_keys_install() {
    local mounted="${JUPYTERHUB_SSH_AUTHORIZED_KEYS:-/etc/jupyterhub/ssh/authorized_keys}"
    local begin="# >>> keys from the JupyterHub deployment (replaced at every server start) >>>"
    local end="# <<< keys from the JupyterHub deployment <<<"
    local home="$1"
    local ssh_dir="$home/.ssh"
    local target="$ssh_dir/authorized_keys"

    if [ ! -e "$mounted" ]; then
        if [ -f "$target" ] && grep -qxF -- "$begin" "$target"; then
            _jupyterhub_keys_log "no keys mounted at $mounted: removing the deployment's keys from $target"
        else
            _jupyterhub_keys_log "no keys mounted at $mounted; ~/.ssh left as it is"
            return 0
        fi
    elif [ ! -f "$mounted" ] || [ ! -r "$mounted" ]; then
        _jupyterhub_keys_log "WARNING: $mounted is not a readable file"
        return 1
    fi
    if [ -z "$home" ] || [ ! -d "$home" ]; then
        _jupyterhub_keys_log "WARNING: no home directory '$home'"
        return 1
    fi

    if [ ! -d "$ssh_dir" ]; then
        mkdir "$ssh_dir" || return 1
    fi
    chmod 700 "$ssh_dir" || return 1
    # Write a new file beside the old one and rename it over: sshd never reads a half-written
    # file, and a symbolic link at authorized_keys is replaced rather than written through.
    local tmp
    tmp="$(mktemp "$ssh_dir/.authorized_keys.XXXXXX")" || return 1
    if ! {
        if [ -f "$mounted" ]; then
            printf '%s\n' "$begin"
            _jupyterhub_keys_clean "$mounted"
            printf '%s\n' "$end"
        fi
        if [ -f "$target" ]; then
            _jupyterhub_keys_unmanaged "$begin" "$end" "$target"
        fi
    } >"$tmp" || ! chmod 600 "$tmp" || ! mv -f "$tmp" "$target"; then
        rm -f "$tmp"
        return 1
    fi
    if [ -f "$mounted" ]; then
        _jupyterhub_keys_log "installed the keys from $mounted into $target"
    fi
}

# As root (sudo profiles), the work is done as the notebook user: root then never writes into
# a home the user controls (no planted symbolic link can redirect it, every file is the
# user's), and homes on NFS that squash root work too.
_jupyterhub_keys_main() {
    if [ "$(id -u)" != 0 ]; then
        _jupyterhub_keys_install "${JUPYTERHUB_SSH_HOME:-${HOME:-}}"
        return
    fi
    # $HOME is still the image's /home/jovyan here; start.sh has moved the home to
    # /home/$NB_USER when NB_USER was changed.
    local home="${JUPYTERHUB_SSH_HOME:-/home/${NB_USER:-jovyan}}"
    local uid="${NB_UID:-1000}" groups=--init-groups
    getent passwd "$uid" >/dev/null || groups=--clear-groups
    local functions
    functions="$(declare -f _jupyterhub_keys_log _jupyterhub_keys_clean _jupyterhub_keys_unmanaged _jupyterhub_keys_install)"
    setpriv --reuid="$uid" --regid="${NB_GID:-100}" "$groups" \
        bash -c "$functions; _jupyterhub_keys_install \"\$1\"" bash "$home"
}

_jupyterhub_keys_main || _jupyterhub_keys_log "WARNING: SSH keys not installed (see above)"
unset -f _jupyterhub_keys_log _jupyterhub_keys_clean _jupyterhub_keys_unmanaged _jupyterhub_keys_install _jupyterhub_keys_main
