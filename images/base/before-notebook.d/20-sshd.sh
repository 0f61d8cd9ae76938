#!/bin/bash
# shellcheck shell=bash
#
# Start hook: starts sshd on port 2222 in the background, so users can `ssh` (or VS Code
# Remote-SSH) into their own server. Keys come from 10-authorized-keys.sh; passwords never work.
#
# Container started as root (sudo profiles): sshd runs as root and drops to the notebook user
# for each connection, only that user may log in. Started as the notebook user: sshd runs as
# that user, which can then only log in itself; it needs no privilege for that.
#
# Host key: the deployment's /etc/jupyterhub/ssh-host-key/ssh_host_ed25519_key when mounted (the
# hub makes one per server start and routes SSH to this server only with that key; see
# components/ssh/ssh_pipes.py), else one generated at the first start into ~/.ssh/host-keys/ on
# the home volume, so that known_hosts stays valid across restarts.
#
# start.sh (Docker Stacks) *sources* this file, as root when the container starts as root.
# So it is functions and one guarded call: no `exit`, no `set -e`, nothing left behind.
#
# Environment (the defaults are the container's; tests point them into a temp directory):
#   JUPYTERHUB_SSH_DISABLED=1     do not start sshd
#   JUPYTERHUB_SSH_PORT           port sshd listens on (2222)
#   JUPYTERHUB_SSHD_CONFIG        sshd config (/etc/ssh/jupyterhub_sshd_config)
#   JUPYTERHUB_SSH_HOST_KEYS_DIR  mounted host key (/etc/jupyterhub/ssh-host-key)
#   JUPYTERHUB_SSH_HOME           the notebook user's home (/home/$NB_USER as root, else $HOME)
#   JUPYTERHUB_SSH_RUN_DIR        host key copy and pid file
#                                 (/run/jupyterhub-ssh as root, else ${TMPDIR:-/tmp}/jupyterhub-ssh-<uid>)
#   JUPYTERHUB_SSH_PRIVSEP_DIR    sshd's privilege separation directory, root only (/run/sshd)
#   NB_USER, NB_UID, NB_GID       the notebook user (Docker Stacks)

_jupyterhub_sshd_log() {
    echo "jupyterhub-ssh: $*" >&2
}

# Without PAM, sshd refuses an account whose password is locked ('!'), even for a key, and
# useradd leaves the Docker Stacks user locked. '*' unlocks it and still matches no password.
_jupyterhub_sshd_unlock() {
    local hash
    hash="$(getent shadow "$1" | cut -d: -f2)"
    case "$hash" in
        '!' | '!!' | '!*') usermod -p '*' "$1" ;;
    esac
}

# Prints the host key kept in the home given as $1, generating it at the first start. Run as
# the notebook user: the key is the user's, so a server started either way keeps one identity.
_jupyterhub_sshd_home_key() {
    local dir="$1/.ssh/host-keys"
    local key="$dir/ssh_host_ed25519_key"
    if [ ! -f "$key" ]; then
        if ! command -v ssh-keygen >/dev/null; then
            _jupyterhub_sshd_log "WARNING: ssh-keygen is missing, cannot generate a host key"
            return 1
        fi
        mkdir -p "$dir" || return 1
        chmod 700 "$1/.ssh" "$dir" || return 1
        ssh-keygen -q -t ed25519 -N '' -C "jupyterhub server host key" -f "$key" </dev/null >&2 || return 1
        _jupyterhub_sshd_log "generated the host key $key"
    fi
    cat "$key"
}

# As root, reads the home's key as the notebook user: root then never reads or writes in a
# home the user controls (no planted symbolic link can point it elsewhere), and homes on NFS
# that squash root work too.
_jupyterhub_sshd_home_key_as_user() {
    if [ "$(id -u)" != 0 ]; then
        _jupyterhub_sshd_home_key "$1"
        return
    fi
    local uid="${NB_UID:-1000}" groups=--init-groups
    getent passwd "$uid" >/dev/null || groups=--clear-groups
    local functions
    functions="$(declare -f _jupyterhub_sshd_log _jupyterhub_sshd_home_key)"
    setpriv --reuid="$uid" --regid="${NB_GID:-100}" "$groups" \
        bash -c "$functions; _jupyterhub_sshd_home_key \"\$1\"" bash "$1"
}

_jupyterhub_sshd_start() {
    if [ "${JUPYTERHUB_SSH_DISABLED:-}" = 1 ]; then
        _jupyterhub_sshd_log "sshd not started: JUPYTERHUB_SSH_DISABLED=1"
        return 0
    fi
    local sshd
    if ! sshd="$(command -v sshd)"; then
        _jupyterhub_sshd_log "sshd not started: sshd is not installed in this image"
        return 0
    fi
    local config="${JUPYTERHUB_SSHD_CONFIG:-/etc/ssh/jupyterhub_sshd_config}"
    local port="${JUPYTERHUB_SSH_PORT:-2222}"
    local mounted_key="${JUPYTERHUB_SSH_HOST_KEYS_DIR:-/etc/jupyterhub/ssh-host-key}/ssh_host_ed25519_key"
    local home user run_dir
    if [ "$(id -u)" = 0 ]; then
        home="${JUPYTERHUB_SSH_HOME:-/home/${NB_USER:-jovyan}}"
        user="${NB_USER:-jovyan}"
        run_dir="${JUPYTERHUB_SSH_RUN_DIR:-/run/jupyterhub-ssh}"
        # sshd as root refuses to start without it, and a container's /run does not have it.
        local privsep="${JUPYTERHUB_SSH_PRIVSEP_DIR:-/run/sshd}"
        mkdir -p "$privsep" || return 1
        chmod 755 "$privsep" || return 1
        _jupyterhub_sshd_unlock "$user"
    else
        home="${JUPYTERHUB_SSH_HOME:-${HOME:-}}"
        user="$(id -un 2>/dev/null)" || user="${NB_USER:-jovyan}"
        run_dir="${JUPYTERHUB_SSH_RUN_DIR:-${TMPDIR:-/tmp}/jupyterhub-ssh-$(id -u)}"
    fi
    if [ ! -f "$config" ]; then
        _jupyterhub_sshd_log "WARNING: sshd not started: no config at $config"
        return 1
    fi

    if [ -L "$run_dir" ]; then
        _jupyterhub_sshd_log "WARNING: $run_dir is a symbolic link"
        return 1
    fi
    mkdir -p "$run_dir" || return 1
    chmod 700 "$run_dir" || return 1
    if [ ! -O "$run_dir" ]; then
        _jupyterhub_sshd_log "WARNING: $run_dir belongs to another user"
        return 1
    fi
    # sshd gets a private copy: it rejects a host key others can read, and how a Secret is
    # mounted (its mode) is the deployment's choice.
    local host_key="$run_dir/ssh_host_ed25519_key" source_key
    rm -f "$host_key"
    if [ -f "$mounted_key" ]; then
        source_key="$mounted_key"
        (umask 077 && cat "$mounted_key" >"$host_key") || return 1
    else
        source_key="$home/.ssh/host-keys/ssh_host_ed25519_key"
        (umask 077 && _jupyterhub_sshd_home_key_as_user "$home" >"$host_key") || return 1
    fi

    # -D -e: stay a child of start.sh (tini stops it with the server) and log to the
    # container's log. SetEnv PATH: SSH sessions get the server's PATH (conda, code) rather
    # than sshd's minimal default.
    _jupyterhub_sshd_log "starting sshd on port $port for $user (host key: $source_key)"
    "$sshd" -D -e -f "$config" -p "$port" -h "$host_key" \
        -o "PidFile=$run_dir/sshd.pid" -o "AllowUsers=$user" -o "SetEnv=PATH=$PATH" </dev/null &
    _jupyterhub_sshd_log "sshd started (pid $!)"
}

_jupyterhub_sshd_start || _jupyterhub_sshd_log "WARNING: sshd not started (see above)"
unset -f _jupyterhub_sshd_log _jupyterhub_sshd_unlock _jupyterhub_sshd_home_key _jupyterhub_sshd_home_key_as_user _jupyterhub_sshd_start
