#!/usr/bin/env bash
# Instructions (and, with CACHE=1, simulated cache misses) per request with many
# connections open at once: CONNS keep-alive connections (default 64) each send one
# `GET PATH`, then each reads its answer, round after round. Two callgrind runs of N1
# and N2 requests (multiples of CONNS; default 2048 and 12288), the difference ÷
# (N2 − N1), as instr-per-request does for 8 connections in a closed loop.
# CACHE=1 adds callgrind's cache simulation with the last level sized as this
# machine's L2 (512 KiB, 8-way), so misses there stand for the working set leaving L2.
#
#   CONNS=1024 [CACHE=1] instr-conns.sh PORT PATH -- SERVER COMMAND...
#
# Prints one line per event (Ir = instructions; with CACHE=1 also D1mr/D1mw, the L1
# data misses, and DLmr/DLmw, the L2 ones). See benches/NOTES.md, "Many connections".
set -euo pipefail
CONNS=${CONNS:-64}; N1=${N1:-2048}; N2=${N2:-12288}
PORT=$1; REQ_PATH=$2; shift 2; [ "${1:-}" = "--" ] && shift
OUT=$(mktemp -d /tmp/instr-conns.XXXX)
OPTS=(); [ "${CACHE:-0}" = 1 ] && OPTS=(--cache-sim=yes --LL=524288,8,64)

cat > "$OUT/load.py" <<'PY'
import socket, sys
port, path, n, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
req = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
socks = [socket.create_connection(("127.0.0.1", port), timeout=120) for _ in range(k)]
done = 0
while done < n:
    for s in socks:
        s.sendall(req)
    for s in socks:
        buf = b""
        while True:
            got = s.recv(65536)
            if not got:
                raise SystemExit("the server closed a connection")
            buf += got
            head, sep, body = buf.partition(b"\r\n\r\n")
            if not sep:
                continue
            lines = head.lower().split(b"\r\n")
            if not lines[0].startswith(b"http/1.1 2"):
                raise SystemExit(f"non-2xx: {lines[0]!r}")
            length = next(int(l.split(b":")[1]) for l in lines if l.startswith(b"content-length"))
            if len(body) >= length:
                break
    done += k
PY

run() { # N -> callgrind files in $OUT/cg.N.*
  local n=$1; shift
  valgrind --tool=callgrind "${OPTS[@]}" --trace-children=yes --callgrind-out-file="$OUT/cg.$n.%p" "$@" >"$OUT/server.$n.log" 2>&1 &
  local vp=$!
  for _ in $(seq 240); do curl -s -o /dev/null -m 5 "http://127.0.0.1:$PORT$REQ_PATH" && break; sleep 0.5; done
  timeout 900 python3 "$OUT/load.py" "$PORT" "$REQ_PATH" "$n" "$CONNS"
  kill -INT $vp 2>/dev/null || true
  for _ in $(seq 30); do kill -0 $vp 2>/dev/null || break; sleep 1; done
  kill -9 $vp 2>/dev/null || true; wait $vp 2>/dev/null || true
}
run "$N1" "$@"; run "$N2" "$@"
python3 - "$OUT" "$N1" "$N2" <<'PY'
import glob, sys
out, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def totals(n):
    names, sums = [], None
    for f in glob.glob(f"{out}/cg.{n}.*"):
        for line in open(f, errors="replace"):
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith("summary:"):
                v = [int(x) for x in line.split()[1:]]
                sums = v if sums is None else [a + b for a, b in zip(sums, v)]
    if not sums:
        raise SystemExit(f"callgrind produced no counts (see {out})")
    return names, sums
names, a = totals(n1)
_, b = totals(n2)
for name, x, y in zip(names, a, b):
    print(f"{name}_per_request={(y - x) / (n2 - n1):.1f}")
PY
