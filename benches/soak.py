"""Soak test: serve benches/apps/soak_app.py and drive mixed traffic at it for N
minutes, sampling the server's RSS, open fds and established connections every
10 s. `cargo xtask soak [--minutes N]` runs it with the release wheel in .venv.

Traffic (one thread each, paced, 127.0.0.1 only): keep-alive requests, pipelined
batches, h2c streams (the `h2` package), new connections per request, handler
errors (500 and HTTPException), slow clients (a head trickled within the header
timeout, a head stalled past it, a slow reader of a 256 KiB body) and uploads
aborted halfway (half of them by RST).

Pass: no request that should succeed failed, the server never exited, and after
the warm-up (the first fifth of the run, at most 5 minutes) all three series are
flat, judged on the post-warm-up samples:
  - RSS: the median of the last third is at most 10% (and 8 MiB) above the median
    of the first third;
  - fds and established connections: the maximum of the last third is at most 8
    above the maximum of the first third (the traffic holds at most ~12 sockets);
and once the traffic stops, within the keep-alive timeout plus 5 s, the server is
back to the fd count it had before the traffic and holds no established
connection.

Run: python benches/soak.py --minutes 30 [--app benches/apps/soak_app.py]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import h2.config
import h2.connection
import h2.events

HERE = Path(__file__).resolve().parent
SAMPLE_EVERY = 10.0
HEADER_TIMEOUT = 2.0  # as soak_app.py serves
KEEP_ALIVE_TIMEOUT = 2.0
JSON_BODY = b'{"message":"Hello, World!"}'


class Failure(Exception):
    """A request that should have succeeded did not."""


# -- a minimal HTTP/1.1 client on raw sockets (exact bytes, no retries) -------------


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_bytes(method: str, path: str, body: bytes = b"", close: bool = False) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


class Reader:
    """Reads responses off one connection (Content-Length framing, as Cello sends)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise Failure(f"connection closed mid-response (had {self.buf[:80]!r})")
        self.buf += data

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body


def expect(got: tuple[int, dict[str, str], bytes], status: int, body: bytes | None = None) -> None:
    if got[0] != status or (body is not None and got[2] != body):
        raise Failure(f"expected {status} {body!r:.60}, got {got[0]} {got[2]!r:.80}")


# -- the traffic kinds ----------------------------------------------------------------
# Each is a function that does one round and raises Failure on a wrong answer.


def keep_alive(port: int) -> int:
    with connect(port) as s:
        r = Reader(s)
        for i in range(50):
            path, want = [("/json", JSON_BODY), ("/plaintext", b"Hello, World!"), ("/users/7", b'{"id":7}')][i % 3]
            s.sendall(request_bytes("GET", path))
            expect(r.response(), 200, want)
            payload = os.urandom(i * 37 % 5000)
            s.sendall(request_bytes("POST", "/echo", payload))
            expect(r.response(), 200, payload)
        s.sendall(request_bytes("GET", "/async-sleep"))
        expect(r.response(), 200, b'{"ok":true}')
    return 101


def pipelined(port: int) -> int:
    with connect(port) as s:
        r = Reader(s)
        for _ in range(10):
            batch = [("/json", JSON_BODY), ("/plaintext", b"Hello, World!")] * 8
            s.sendall(b"".join(request_bytes("GET", p) for p, _ in batch))
            for _, want in batch:
                expect(r.response(), 200, want)
    return 160


def h2c(port: int) -> int:
    with connect(port) as s:
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        streams: dict[int, dict] = {}
        for i in range(20):
            sid = conn.get_next_available_stream_id()
            if i % 4 == 3:
                payload = os.urandom(1000 + i)
                conn.send_headers(sid, h2_headers("POST", "/echo", len(payload)))
                conn.send_data(sid, payload, end_stream=True)
                streams[sid] = {"want": payload, "body": b""}
            else:
                conn.send_headers(sid, h2_headers("GET", "/json"), end_stream=True)
                streams[sid] = {"want": JSON_BODY, "body": b""}
        s.sendall(conn.data_to_send())
        done = 0
        while done < len(streams):
            data = s.recv(65536)
            if not data:
                raise Failure(f"h2c: connection closed after {done} of {len(streams)} streams")
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    streams[ev.stream_id]["status"] = dict(ev.headers).get(b":status")
                elif isinstance(ev, h2.events.DataReceived):
                    streams[ev.stream_id]["body"] += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    st = streams[ev.stream_id]
                    if st.get("status") != b"200" or st["body"] != st["want"]:
                        raise Failure(f"h2c stream {ev.stream_id}: {st.get('status')} {st['body'][:60]!r}")
                    done += 1
                elif isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                    raise Failure(f"h2c: {ev}")
            s.sendall(conn.data_to_send())
        conn.close_connection()
        s.sendall(conn.data_to_send())
    return 20


def h2_headers(method: str, path: str, length: int | None = None) -> list[tuple[str, str]]:
    h = [(":method", method), (":path", path), (":scheme", "http"), (":authority", "127.0.0.1")]
    if length is not None:
        h.append(("content-length", str(length)))
    return h


def churn(port: int) -> int:
    for _ in range(20):
        with connect(port) as s:
            s.sendall(request_bytes("GET", "/json", close=True))
            expect(Reader(s).response(), 200, JSON_BODY)
    return 20


def errors(port: int) -> int:
    with connect(port) as s:
        r = Reader(s)
        for path in ("/raise", "/async-raise"):
            s.sendall(request_bytes("GET", path))
            got = r.response()
            expect(got, 500)
            if b"soak" in got[2]:
                raise Failure(f"a 500 leaked the exception: {got[2]!r}")
        s.sendall(request_bytes("GET", "/teapot"))
        got = r.response()
        expect(got, 418)
        if json.loads(got[2]) != {"detail": "soak: short and stout"}:
            raise Failure(f"HTTPException body: {got[2]!r}")
        s.sendall(request_bytes("GET", "/nope"))
        expect(r.response(), 404)
    return 4


def slow_head(port: int) -> int:
    """A head trickled byte by byte over ~1 s, within the header timeout."""
    data = request_bytes("GET", "/json")
    with connect(port) as s:
        for i in range(len(data)):
            s.sendall(data[i : i + 1])
            time.sleep(1.0 / len(data))
        expect(Reader(s).response(), 200, JSON_BODY)
    return 1


def stalled_head(port: int) -> int:
    """Half a head, then nothing: the server must drop it after the header timeout."""
    with connect(port, timeout=HEADER_TIMEOUT + 10) as s:
        s.sendall(b"GET /json HTTP/1.1\r\nHost: 1")
        start = time.monotonic()
        try:
            rest = s.recv(65536)
        except ConnectionResetError:
            rest = b""
        except socket.timeout:
            raise Failure(f"a stalled head was kept open {time.monotonic() - start:.0f} s") from None
        if rest and not rest.startswith(b"HTTP/1.1 408"):
            raise Failure(f"a stalled head got {rest[:60]!r}")
    return 1


def slow_reader(port: int) -> int:
    """Reads a 256 KiB body 8 KiB at a time, 20 ms apart."""
    with connect(port) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(request_bytes("GET", "/big"))
        got = b""
        while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 256 * 1024:
            chunk = s.recv(8192)
            if not chunk:
                raise Failure(f"slow reader: closed after {len(got)} bytes")
            got += chunk
            time.sleep(0.02)
        if not got.startswith(b"HTTP/1.1 200"):
            raise Failure(f"slow reader: {got[:60]!r}")
    return 1


def aborted_upload(port: int, n: list[int] = [0]) -> int:
    """Declares 200 kB, sends 50 kB, leaves: by FIN, or by RST every other time."""
    n[0] += 1
    s = connect(port)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200000\r\n\r\n")
    s.sendall(os.urandom(50_000))
    if n[0] % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return 0


def slow_mix(port: int, n: list[int] = [0]) -> int:
    n[0] += 1
    return (slow_head, stalled_head, slow_reader)[n[0] % 3](port)


KINDS: dict[str, tuple[Callable[[int], int], float]] = {
    # name: (one round, pause after it in seconds)
    "keep-alive-1": (keep_alive, 0.02),
    "keep-alive-2": (keep_alive, 0.02),
    "pipelined": (pipelined, 0.02),
    "h2c": (h2c, 0.02),
    "churn": (churn, 0.05),
    "errors": (errors, 0.2),
    "slow": (slow_mix, 0.0),
    "aborted-upload": (aborted_upload, 0.1),
}


# -- the server and its numbers ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def established(port: int) -> int:
    """Established TCP connections whose local end is the server's port."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def flat(name: str, values: list[float], judge: Callable[[list[float], list[float]], tuple[bool, str]]) -> tuple[bool, str]:
    third = max(1, len(values) // 3)
    ok, why = judge(values[:third], values[-third:])
    return ok, f"{name}: {why} -> {'flat' if ok else 'GROWS'}"


def rss_judge(first: list[float], last: list[float]) -> tuple[bool, str]:
    a, b = statistics.median(first), statistics.median(last)
    limit = a + max(0.10 * a, 8 * 1024)
    return b <= limit, f"median first third {a / 1024:.1f} MiB, last third {b / 1024:.1f} MiB (limit {limit / 1024:.1f})"


def max_judge(first: list[float], last: list[float]) -> tuple[bool, str]:
    a, b = max(first), max(last)
    return b <= a + 8, f"max first third {a:.0f}, last third {b:.0f} (limit {a + 8:.0f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--app", default=str(HERE / "apps" / "soak_app.py"))
    args = ap.parse_args()
    duration = args.minutes * 60
    warmup = min(duration / 5, 300.0)

    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"cello-soak-{port}.log"
    log = open(log_path, "wb")
    server = subprocess.Popen([sys.executable, args.app, str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            print(f"soak: the server exited with {server.returncode}; log: {log_path}", file=sys.stderr)
            return 1
        try:
            connect(port, timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                print("soak: the server did not start listening in 30 s", file=sys.stderr)
                return 1
            time.sleep(0.1)
    # One round of each kind first, so that what the server opens once (and keeps)
    # is in the idle baseline; then wait for those connections to be closed.
    for name, (fn, _) in KINDS.items():
        try:
            fn(port)
        except (Failure, OSError) as exc:
            print(f"soak: the first {name} round failed: {exc}", file=sys.stderr)
            server.kill()
            return 1
    time.sleep(KEEP_ALIVE_TIMEOUT + 1.5)
    base_fds = fd_count(server.pid)
    print(f"soak: server pid {server.pid} on 127.0.0.1:{port}, {args.minutes:g} min, "
          f"warm-up {warmup:.0f} s, {base_fds} fds idle; log: {log_path}", flush=True)

    stop = threading.Event()
    lock = threading.Lock()
    counts = {k: {"rounds": 0, "requests": 0, "failures": 0} for k in KINDS}
    first_errors: list[str] = []

    def worker(name: str, fn: Callable[[int], int], pause: float) -> None:
        while not stop.is_set():
            try:
                n = fn(port)
                with lock:
                    counts[name]["rounds"] += 1
                    counts[name]["requests"] += n
            except (Failure, OSError, ValueError, KeyError) as exc:
                with lock:
                    counts[name]["failures"] += 1
                    if len(first_errors) < 20:
                        first_errors.append(f"{name}: {type(exc).__name__}: {exc}")
            stop.wait(pause)

    threads = [threading.Thread(target=worker, args=(k, fn, p), daemon=True) for k, (fn, p) in KINDS.items()]
    start = time.monotonic()
    for t in threads:
        t.start()

    samples: list[tuple[float, int, int, int, int]] = []
    print(f"{'t (s)':>7} {'RSS MiB':>8} {'fds':>5} {'estab':>6} {'requests':>10} {'failures':>9}", flush=True)
    exited = False
    while time.monotonic() - start < duration:
        stop.wait(SAMPLE_EVERY)
        if server.poll() is not None:
            exited = True
            break
        with lock:
            total = sum(c["requests"] for c in counts.values())
            failed = sum(c["failures"] for c in counts.values())
        s = (time.monotonic() - start, rss_kib(server.pid), fd_count(server.pid), established(port), total)
        samples.append(s)
        print(f"{s[0]:7.0f} {s[1] / 1024:8.1f} {s[2]:5d} {s[3]:6d} {s[4]:10d} {failed:9d}", flush=True)
    stop.set()
    for t in threads:
        t.join(HEADER_TIMEOUT + 15)

    ok = True
    lines = []
    if exited:
        ok = False
        lines.append(f"the server exited with {server.returncode} during the run")
    else:
        # Quiet: the idle keep-alive connections are closed by now.
        settle = time.monotonic() + KEEP_ALIVE_TIMEOUT + 5
        while time.monotonic() < settle and (fd_count(server.pid) > base_fds or established(port) > 0):
            time.sleep(0.25)
        end_fds, end_est = fd_count(server.pid), established(port)
        quiet_ok = end_fds <= base_fds and end_est == 0
        ok &= quiet_ok
        lines.append(f"after the traffic: {end_fds} fds (idle before: {base_fds}), {end_est} established "
                     f"-> {'back to idle' if quiet_ok else 'LEAK'}")
        steady = [s for s in samples if s[0] >= warmup]
        if len(steady) < 3:
            ok = False
            lines.append(f"only {len(steady)} samples after the warm-up: run longer to judge flatness")
        else:
            for name, idx, judge in (("RSS", 1, rss_judge), ("fds", 2, max_judge), ("established", 3, max_judge)):
                good, why = flat(name, [float(s[idx]) for s in steady], judge)
                ok &= good
                lines.append(why)
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()

    total = sum(c["requests"] for c in counts.values())
    failed = sum(c["failures"] for c in counts.values())
    elapsed = time.monotonic() - start
    print(f"\nsoak summary ({elapsed / 60:.1f} min, {len(samples)} samples, {total} requests, "
          f"{total / max(elapsed, 1):.0f} req/s):")
    for k, c in counts.items():
        print(f"  {k:<15} {c['rounds']:>7} rounds {c['requests']:>9} requests {c['failures']:>4} failures")
    if samples:
        rss = [s[1] / 1024 for s in samples]
        print(f"  RSS MiB min/median/max: {min(rss):.1f}/{statistics.median(rss):.1f}/{max(rss):.1f}; "
              f"fds max {max(s[2] for s in samples)}; established max {max(s[3] for s in samples)}")
    for line in lines:
        print("  " + line)
    if failed:
        ok = False
        print(f"  {failed} rounds failed; the first:")
        for e in first_errors:
            print("    " + e)
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
