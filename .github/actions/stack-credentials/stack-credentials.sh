#!/usr/bin/env bash
# See action.yml. The kubeconfig goes to $RUNNER_TEMP (the workflows delete it at the end, and
# the runner empties that directory between jobs); values never reach the log unmasked.
set -euo pipefail

if [ -n "${KUBECONFIG_CONTENT:-}" ]; then
  umask 077
  printf '%s\n' "$KUBECONFIG_CONTENT" > "$RUNNER_TEMP/kubeconfig"
  echo "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"
fi

while IFS= read -r line || [ -n "$line" ]; do
  line=${line%$'\r'}
  case "$line" in "" | "#"*) continue ;; esac
  name=${line%%=*}
  value=${line#*=}
  if [[ ! "$name" =~ ^[A-Z_][A-Z0-9_]*$ ]] || [ "$name" = "$line" ]; then
    echo "::error::extra-env: a line is not NAME=value (NAME in upper case); the line is not shown"
    exit 1
  fi
  echo "::add-mask::$value"
  delimiter="EOF_$(openssl rand -hex 8)"
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >> "$GITHUB_ENV"
done <<< "${EXTRA_ENV:-}"
