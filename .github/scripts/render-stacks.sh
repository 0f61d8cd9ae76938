#!/usr/bin/env bash
# Renders every Pulumi.<stack>.yaml of one checkout with `npm run render`, for the pull request
# preview diff (workflows/preview.yml).
#
#   render-stacks.sh <checkout> <out>
#
# Writes <out>/<stack>/ (values.yaml, resources.json; empty when the render failed),
# <out>/<stack>.log (what render printed) and <out>/<stack>.failed when it failed. A failed
# render is a result to report, not an error of this script.
set -uo pipefail

checkout=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
cd "$checkout"

if ! npm ci --no-audit --no-fund >"$out/npm-ci.log" 2>&1; then
  cat "$out/npm-ci.log" >&2
  echo "npm ci failed in $checkout; its stacks are reported as failed renders" >&2
fi

shopt -s nullglob
for file in Pulumi.*.yaml; do
  stack=${file#Pulumi.}
  stack=${stack%.yaml}
  mkdir -p "$out/$stack"
  if npm run --silent render -- "$stack" --out "$out/$stack" >"$out/$stack.log" 2>&1; then
    echo "rendered $stack"
  else
    touch "$out/$stack.failed"
    echo "render of $stack failed:" >&2
    cat "$out/$stack.log" >&2
  fi
done
