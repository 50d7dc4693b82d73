#!/usr/bin/env bash
# The figures in the README's "More than one machine": 100 articles (the 80 xsum dev articles
# and 20 multinews documents of ../shared/eval) through
#   1. the single-process report on a SQLite store,
#   2. `brief report --workers-only` on a PostgreSQL store with 1 worker, then with 2,
# each from an empty store; wall time, items per minute and queue writes per second. Items are
# three per article: the story vector, the summary and the sentence vectors of its evidence.
#
#   deploy/bench-workers.sh [MODEL]      # default: the tiny random-weight test model
#
# Needs PostgreSQL's initdb/pg_ctl (apt-get install postgresql) and target/release/brief.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BRIEF_BIN:-$PWD/target/release/brief}"
shared="${BRIEF_SHARED:-$PWD/../shared}"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || runuser -u nobody -- pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
model="${1:-}"
if [[ -z "$model" ]]; then
  model="$work/tiny.gguf"
  cargo run --release --quiet --features testing --example write_tiny -- "$model" >/dev/null
fi
python3 - "$shared/eval" "$work/articles.jsonl" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
rows = []
for line in open(f"{src}/xsum_dev.jsonl"):
    v = json.loads(line)
    rows.append({"title": v["id"], "text": v["documents"][0]["text"]})
for line in open(f"{src}/multinews_dev.jsonl"):
    v = json.loads(line)
    for i, d in enumerate(v["documents"]):
        if len(rows) < 100:
            rows.append({"title": f"{v['id']}-{i}", "text": d["text"]})
with open(out, "w") as f:
    for r in rows[:100]:
        f.write(json.dumps(r) + "\n")
PY
gen=(--model "$model" --max-tokens 48)
as=(); [[ "$(id -u)" == 0 ]] && { as=(runuser -u nobody --); chown nobody: "$work"; }
"${as[@]}" initdb -D "$work/pg" -U brief --auth=trust --no-sync >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as[@]}" pg_ctl -D "$work/pg" -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1" -l "$work/pg.log" -w start >/dev/null
psql() { "${as[@]}" env psql -h 127.0.0.1 -p "$port" -U brief -d "$1" -qAt -c "$2"; }

secs() { python3 -c "import time; print(time.time())"; }
t0=$(secs)
"$bin" -q report "$work/articles.jsonl" --store "$work/s.sqlite" "${gen[@]}" --format json >"$work/single.json"
t1=$(secs)
items=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(3*r['run']['articles'])" "$work/single.json")
python3 -c "import sys; w=float(sys.argv[1]); n=int(sys.argv[2]); print(f'single process: {w:.1f} s, {n} items, {60*n/w:.0f} items/min')" "$(python3 -c "print($t1-$t0)")" "$items"

for k in 1 2; do
  db="bench$k"
  psql postgres "CREATE DATABASE $db"
  url="postgres://brief@127.0.0.1:$port/$db"
  t0=$(secs)
  "$bin" -q report "$work/articles.jsonl" --store "$url" "${gen[@]}" --workers-only --format json >"$work/w$k.json" &
  rp=$!
  pids=()
  for i in $(seq 1 "$k"); do
    BRIEF_THREADS=$(( $(nproc) / k > 0 ? $(nproc) / k : 1 )) \
      "$bin" -q worker --store "$url" "${gen[@]}" --idle-exit 2 --name "w$i" &
    pids+=($!)
  done
  wait "$rp"
  t1=$(secs)
  wait "${pids[@]}"
  span=$(psql "$db" "SELECT EXTRACT(EPOCH FROM MAX(finished::timestamptz) - MIN(enqueued::timestamptz)) FROM queue")
  done_n=$(psql "$db" "SELECT COUNT(*) FROM queue WHERE state = 'done'")
  python3 - "$k" "$(python3 -c "print($t1-$t0)")" "$done_n" "$span" "$work/single.json" "$work/w$k.json" <<'PY'
import json, sys
k, wall, n, span = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
a, b = (json.load(open(p)) for p in sys.argv[5:7])
same = a["stories"] == b["stories"]
# Each item is claimed (one write), completed with its result (a transaction of two), so a
# done item costs three writes besides the heartbeats.
print(f"{k} worker(s): {wall:.1f} s wall, {n} items in {span:.1f} s, {60*n/span:.0f} items/min, "
      f"{3*n/span:.1f} queue writes/s, report identical to single process: {same}")
PY
done
