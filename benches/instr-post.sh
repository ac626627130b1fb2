#!/usr/bin/env bash
# Instructions per request for a request with a body: the method of
# ../shared/tools/instr-per-request.sh (callgrind over all server threads, two runs of
# N1 and N2 requests on 8 keep-alive connections, the difference ÷ (N2 - N1)), with
# the request given whole: METHOD, PATH (with its query) and an optional JSON body file.
#
#   instr-post.sh PORT METHOD PATH [BODY_FILE] -- SERVER COMMAND...
#
# N1/N2 (default 200/2200) are small enough for the slow peers under valgrind.
# Prints: instructions_per_request=<n>
set -euo pipefail
N1=${N1:-200}; N2=${N2:-2200}
PORT=$1; METHOD=$2; REQ_PATH=$3; shift 3
BODY_FILE=""; [ "${1:-}" != "--" ] && { BODY_FILE=$1; shift; }
[ "${1:-}" = "--" ] && shift
OUT=$(mktemp -d /tmp/ipr-post.XXXX)

cat > "$OUT/load.py" <<'PY'
import socket, sys
port, method, path, body_file, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
body = open(body_file, "rb").read().strip() if body_file else b""
head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
if body:
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
req = head.encode() + b"\r\n" + body
socks = [socket.create_connection(("127.0.0.1", port), timeout=300) for _ in range(8)]
def one(s):
    s.sendall(req); buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d: raise SystemExit("the server closed a connection")
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    if not lines[0].startswith(b"http/1.1 2"): raise SystemExit(f"non-2xx: {lines[0]!r} {rest[:200]!r}")
    cl = int(next(l.split(b":")[1] for l in lines if l.startswith(b"content-length")))
    while len(rest) < cl:
        d = s.recv(65536)
        if not d: raise SystemExit("the server closed a connection")
        rest += d
done = 0
while done < n:
    for s in socks: one(s)
    done += len(socks)
PY

count() { # N -> total instructions
  local n=$1 vp; shift
  rm -f "$OUT"/cg.$n.*
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$OUT/cg.$n.%p" "$@" >"$OUT/server.$n.log" 2>&1 &
  vp=$!
  # Up to 15 min to answer: FastAPI's imports alone take minutes under callgrind.
  for _ in $(seq 1800); do
    curl -s -o /dev/null -m 5 "http://127.0.0.1:$PORT/" && break
    kill -0 $vp 2>/dev/null || { echo "the server exited before answering (see $OUT)" >&2; exit 1; }
    sleep 0.5
  done
  timeout 900 python3 "$OUT/load.py" "$PORT" "$METHOD" "$REQ_PATH" "$BODY_FILE" "$n"
  kill -INT $vp 2>/dev/null || true
  for _ in $(seq 30); do kill -0 $vp 2>/dev/null || break; sleep 1; done
  if kill -0 $vp 2>/dev/null; then  # a server that ignores SIGINT: dump its counts, then kill
    callgrind_control -d $vp >/dev/null 2>&1 || true; sleep 2
  fi
  kill -9 $vp 2>/dev/null || true; wait $vp 2>/dev/null || true
  # printf: awk prints big sums as 4.2e+09, which bash cannot compare
  grep -h "^summary:" "$OUT"/cg.$n.* | awk '{s+=$2} END {printf "%.0f\n", s}'
}
a=$(count "$N1" "$@"); b=$(count "$N2" "$@")
[ "$a" -gt 0 ] && [ "$b" -gt "$a" ] || { echo "callgrind produced no counts (see $OUT)" >&2; exit 1; }
echo "instructions_per_request=$(( (b - a) / (N2 - N1) ))"
rm -rf "$OUT"
