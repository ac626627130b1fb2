#!/usr/bin/env bash
# Worker threads against worker processes: `/json` of benches/apps/cello_app.py served by
# `cello run` in each RUN (an interpreter and a mode), loaded with `wrk -t2 -c64 -d${DUR}s` (nothing pinned). Prints
# one line per run and then, per RUN, the median req/s and the median RSS of the server's
# process tree (VmRSS summed from /proc, read at the end of each load run). Rounds rotate
# the order of the RUNs, so that drift in the machine's speed hits every one alike.
#
#   benches/threads.sh PYTHON:MODE...    # MODE: threads=N or workers=N, optionally with
#                                        # +gil0 (PYTHON_GIL=0: the GIL forced off)
#   ROOT=/opt/trixie benches/threads.sh /opt/v/bin/python:threads=2 /opt/v/bin/python:workers=2
#
# Each PYTHON must have cello installed. With ROOT, they run inside that chroot (the app is
# copied to ROOT/tmp). ROUNDS (default 3), DUR (default 10), PORT (default 8431).
set -euo pipefail
ROOT=${ROOT:-}; ROUNDS=${ROUNDS:-3}; DUR=${DUR:-10}; PORT=${PORT:-8431}
APPS=$(cd "$(dirname "$0")/apps" && pwd)
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT/tmp/cello-bench"; cp "$APPS/cello_app.py" "$ROOT/tmp/cello-bench/"
  APPDIR=/tmp/cello-bench; RUN=(chroot "$ROOT")
else
  APPDIR=$APPS; RUN=()
fi
OUT=$(mktemp)

tree_rss_kib() { # PID -> VmRSS of it and its descendants, in KiB
  local all=$1 frontier=$1 next p total=0
  while [ -n "$frontier" ]; do
    next=""; for p in $frontier; do next="$next $(pgrep -P "$p" | tr '\n' ' ')"; done
    frontier=$(echo $next); all="$all $frontier"
  done
  for p in $all; do total=$((total + $(awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done
  echo $total
}

run_mode() { # PYTHON:MODE -> "rps rss_kib"
  local py=${1%%:*} mode=${1#*:} kind n env=() pid out rps rss
  kind=${mode%%=*}; n=${mode#*=}; n=${n%+gil0}
  [[ $mode == *+gil0 ]] && env=(PYTHON_GIL=0)
  "${RUN[@]}" env -C "$APPDIR" "${env[@]}" "$py" -m cello run cello_app:app --port "$PORT" \
    "--$kind" "$n" --no-access-log --log-level warning >/tmp/cello-threads-bench.log 2>&1 &
  pid=$!
  for _ in $(seq 120); do curl -s -o /dev/null "http://127.0.0.1:$PORT/json" && break; sleep 0.25; done
  wrk -t2 -c64 -d2s "http://127.0.0.1:$PORT/json" >/dev/null # warm-up
  out=$(wrk -t2 -c64 -d"${DUR}"s "http://127.0.0.1:$PORT/json")
  rss=$(tree_rss_kib "$pid")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  kill -INT "$pid"; wait "$pid" || true
  echo "$rps $rss"
}

modes=("$@")
for i in $(seq "$ROUNDS"); do
  for j in "${!modes[@]}"; do
    mode=${modes[$(( (i - 1 + j) % ${#modes[@]} ))]}
    echo "round$i $mode $(run_mode "$mode")"
  done
done | tee "$OUT"
python3 - "$OUT" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, mode, rps, rss = line.split()
    rows.setdefault(mode, []).append((float(rps), int(rss)))
for mode, v in rows.items():
    rps = statistics.median(r for r, _ in v)
    rss = statistics.median(m for _, m in v) / 1024
    print(f"{mode}: {rps:,.0f} req/s, RSS {rss:.1f} MiB (median of {len(v)})")
PY
rm -f "$OUT"
