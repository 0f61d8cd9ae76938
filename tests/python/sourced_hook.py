"""The bash that sources an image start hook as the image's start.sh does, and checks the hook
left the shell as it found it: the same options, no functions or variables behind, no exit. Run
as `bash -c <sourcing_bash(...)> harness <hook>`; it prints "start.sh carries on" when the hook
returned and every check held, and exits 90, 91 or 92 naming what the hook changed.

The comparison uses bash's builtins only (declare -F and compgen -v list names sorted): through
sort, comm and grep it started about ten processes a run, which took twice the hook's own CPU.
Its own variables (harness_*) exist before the first listing, so only the hook's are new."""

STRICT = "set -euo pipefail"

_TEMPLATE = r"""
OPTIONS
flags="$-"
declare -A harness_before=()
harness_name="" harness_left=""
functions_before="$(declare -F)"
variables_before="$(compgen -v)"
source "$1"
AFTER_SOURCE
[ "$-" = "$flags" ] || { echo "hook changed the shell options: $flags -> $-" >&2; exit 90; }
[ "$(declare -F)" = "$functions_before" ] || { echo "hook left functions behind" >&2; exit 91; }
while IFS= read -r harness_name; do harness_before[$harness_name]=1; done <<<"$variables_before"
while IFS= read -r harness_name; do
  [ -n "${harness_before[$harness_name]+in}" ] || [ "$harness_name" = variables_before ] || harness_left+=" $harness_name"
done < <(compgen -v)
[ -z "$harness_left" ] || { echo "hook left variables behind:$harness_left" >&2; exit 92; }
echo "start.sh carries on"
"""


def sourcing_bash(options=STRICT, after_source=""):
    """The script, under the caller's `options` (by default the strictest), running `after_source`
    (e.g. `wait` for what the hook started in the background) before the checks."""
    return _TEMPLATE.replace("OPTIONS", options).replace("AFTER_SOURCE", after_source)
