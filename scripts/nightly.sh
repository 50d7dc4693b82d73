#!/usr/bin/env bash
# The nightly report, for cron or the systemd timer in scripts/systemd/.
#
#   BRIEF_INPUTS  directories / feed files / JSON Lines to read (space-separated;
#                 default: $HOME/news)
#   BRIEF_OUT     where dated reports go (default: $HOME/briefings)
#   BRIEF_STORE   the SQLite store (default: brief's XDG data dir)
#   BRIEF_MODEL   model name or GGUF path (default: brief's default model)
#   BRIEF_BIN     the brief binary (default: target/release/brief beside this script, else PATH)
#   BRIEF_WAIT=1  wait for a run still going instead of exiting 75
#
# Exit status is brief's: 0 done, 1 failed (see the log), 2 bad input or configuration,
# 75 another run holds the lock (try again later). Logs are plain timestamped lines.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BRIEF_BIN:-}"
if [[ -z "$bin" ]]; then
  if [[ -x "$here/target/release/brief" ]]; then bin="$here/target/release/brief"; else bin="brief"; fi
fi
read -r -a inputs <<<"${BRIEF_INPUTS:-$HOME/news}"
args=(report "${inputs[@]}" --out-dir "${BRIEF_OUT:-$HOME/briefings}")
[[ -n "${BRIEF_STORE:-}" ]] && args+=(--store "$BRIEF_STORE")
[[ -n "${BRIEF_MODEL:-}" ]] && args+=(--model "$BRIEF_MODEL")
[[ "${BRIEF_WAIT:-0}" == 1 ]] && args+=(--wait)
# Run from the checkout so ./prompts is found; keep the box responsive for its users.
cd "$here"
exec nice -n 10 "$bin" "${args[@]}" "$@"
