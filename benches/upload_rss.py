"""Peak RSS of one Cello worker while many clients each upload a large multipart file.

Run by ``cargo xtask upload-rss`` (or by hand with the venv's python)::

    python benches/upload_rss.py [--clients 100] [--mib 50] [--write benches/RESULTS.md]

The server (``benches/apps/cello_upload_app.py``) takes each upload as an
``UploadFile`` and answers its size. The clients are asyncio sockets that stream
one generated chunk over and over, so the client side holds almost nothing. The
server's RSS is sampled from ``/proc`` every 20 ms; its peak is also read from
``VmHWM`` (the kernel's high-water mark). Idle RSS is taken after one small upload
(the code paths loaded). The budget (issue 11): the peak stays under 100 MiB above
idle. Exit status 1 when it does not, or when an upload fails."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "benches" / "apps" / "cello_upload_app.py"
BUDGET_MIB = 100
CHUNK = bytes(range(256)) * 1024  # 256 KiB
SECTION = "## Uploads: peak RSS under concurrent multipart uploads"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


async def upload(port: int, size: int) -> int:
    """One client: a multipart body with one file part of ``size`` bytes."""
    head = b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n' \
           b"Content-Type: application/octet-stream\r\n\r\n"
    tail = b"\r\n--BOUNDARY--\r\n"
    length = len(head) + size + len(tail)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /upload HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
        b"Content-Type: multipart/form-data; boundary=BOUNDARY\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode()
        + head
    )
    left = size
    while left:
        n = min(left, len(CHUNK))
        writer.write(CHUNK[:n])
        await writer.drain()
        left -= n
    writer.write(tail)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = answer.split(b"\r\n", 1)[0]
    if b" 200 " not in status or f'"size":{size}'.encode() not in answer:
        raise RuntimeError(f"upload failed: {answer[:300]!r}")
    return size


async def clients(port: int, n: int, size: int) -> None:
    await asyncio.gather(*(upload(port, size) for _ in range(n)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--mib", type=int, default=50)
    ap.add_argument("--write", type=Path, help="replace this section of a Markdown file with the result")
    args = ap.parse_args()
    port = free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"cello-upload-rss-{port}.log", "w+b")
    server = subprocess.Popen([sys.executable, str(APP), str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the upload app did not start")
                time.sleep(0.05)
        asyncio.run(clients(port, 1, 4 * 1024 * 1024))
        time.sleep(0.5)
        idle = rss_kib(server.pid)
        peak = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.monotonic()
        try:
            asyncio.run(clients(port, args.clients, args.mib * 1024 * 1024))
        finally:
            done.set()
            sampler.join()
        elapsed = time.monotonic() - t0
        hwm = rss_kib(server.pid, "VmHWM")
        after = rss_kib(server.pid)
    except BaseException:
        log.seek(0)
        print(f"server exit status {server.poll()}; its log:\n{log.read().decode(errors='replace')[-3000:]}")
        raise
    finally:
        server.terminate()
        server.wait(15)
    top = max(peak[0], hwm)
    delta = (top - idle) / 1024
    total = args.clients * args.mib
    ok = delta < BUDGET_MIB
    lines = [
        SECTION,
        "",
        f"{args.clients} clients at once, each uploading one {args.mib} MiB file as `multipart/form-data` "
        f"to an `UploadFile` handler (`benches/apps/cello_upload_app.py`, one worker, defaults: 1 MiB spool "
        f"per file, 16 MiB spool memory per worker). Command: `cargo xtask upload-rss` "
        f"(`benches/upload_rss.py`). Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}.",
        "",
        "| idle RSS | peak RSS (VmHWM) | peak above idle | budget | RSS after | uploaded | time |",
        "|---|---|---|---|---|---|---|",
        f"| {idle / 1024:.1f} MiB | {top / 1024:.1f} MiB | **{delta:.1f} MiB** | < {BUDGET_MIB} MiB "
        f"| {after / 1024:.1f} MiB | {total} MiB | {elapsed:.1f} s ({total / elapsed:.0f} MiB/s) |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        old = args.write.read_text() if args.write.exists() else ""
        if SECTION in old:
            before, _, rest = old.partition(SECTION)
            nxt = rest.find("\n## ")
            old = before + text + (rest[nxt + 1:] if nxt >= 0 else "")
        else:
            old = old.rstrip("\n") + "\n\n" + text
        args.write.write_text(old)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
