#!/usr/bin/env bash
# The real Zero to JupyterHub chart sources the tests render with `helm template`, for a runner
# without the team's shared/ folder: every version in SUPPORTED_CHART_VERSIONS
# (settings/schema.ts), from the chart repository, laid out as shared/z2jh/<version>/chart.
# Usage: z2jh-charts.sh <directory>; then point Z2JH_CHARTS at that directory.
set -euo pipefail
target="${1:?usage: z2jh-charts.sh <directory>}"
versions="$(sed -n 's/.*SUPPORTED_CHART_VERSIONS = \[\(.*\)\] as const.*/\1/p' settings/schema.ts | tr -d '" ' | tr ',' ' ')"
[ -n "$versions" ] || { echo "no SUPPORTED_CHART_VERSIONS in settings/schema.ts" >&2; exit 1; }
for version in $versions; do
  mkdir -p "$target/$version"
  curl -fsSL "https://hub.jupyter.org/helm-chart/jupyterhub-$version.tgz" | tar -xz -C "$target/$version"
  mv "$target/$version/jupyterhub" "$target/$version/chart"
  echo "chart $version in $target/$version/chart"
done
