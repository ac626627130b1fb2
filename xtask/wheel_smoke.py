"""Smoke test of an installed cello wheel, as a new user would use it.

Run by `cargo xtask wheel --smoke` with the interpreter of a clean venv that has only
the wheel installed: `python wheel_smoke.py PORT`. It writes a small app to a
temporary directory, serves it with the `cello` console script (`cello run`), makes a
few requests with urllib (no other package), stops the server with SIGINT and checks
that it exited cleanly. Any failure raises, so the exit code is the verdict.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

APP = '''
from cello import App, HTTPException

app = App(title="smoke")


@app.get("/")
def index():
    return {"hello": "world"}


@app.get("/items/{item_id}")
async def item(item_id: int, q: str = "none"):
    if item_id == 0:
        raise HTTPException(404, "no such item")
    return {"id": item_id, "q": q}
'''


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET; an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until_serving(port: int, server: subprocess.Popen[bytes]) -> None:
    """Polls `/` until the server answers; generous, the machine may be loaded."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"cello run exited with {server.returncode} before serving")
        try:
            get(port, "/")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"cello run did not serve on port {port} within 60 s")


def check(what: str, got: object, wanted: object) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: expected {wanted!r}, got {got!r}")
    print(f"ok: {what}")


def main() -> None:
    port = int(sys.argv[1])
    cello = Path(sys.executable).parent / "cello"
    version = subprocess.run([cello, "--version"], capture_output=True, text=True, check=True)
    print(f"{sys.version.split()[0]}: {version.stdout.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "smoke_app.py").write_text(APP)
        server = subprocess.Popen(
            [cello, "run", "smoke_app:app", "--host", "127.0.0.1", "--port", str(port), "--app-dir", tmp],
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            wait_until_serving(port, server)
            status, body = get(port, "/")
            check("GET / answers JSON", (status, json.loads(body)), (200, {"hello": "world"}))
            status, body = get(port, "/items/7?q=x")
            check("a typed path parameter", (status, json.loads(body)), (200, {"id": 7, "q": "x"}))
            status, body = get(port, "/items/seven")
            check("a bad path parameter is a 422", status, 422)
            status, body = get(port, "/items/0")
            check("HTTPException", (status, json.loads(body)), (404, {"detail": "no such item"}))
            status, body = get(port, "/openapi.json")
            check("the OpenAPI document names the app", json.loads(body)["info"]["title"], "smoke")
            # The wheel ships Swagger UI and ReDoc (fetched from npm when it was built).
            for path in ("/docs/static/swagger-ui-bundle.js", "/redoc/static/redoc.standalone.js"):
                status, body = get(port, path)
                check(f"{path} is shipped in the wheel", (status, len(body) > 100_000), (200, True))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                code = server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                raise SystemExit("cello run did not stop within 60 s of SIGINT") from None
        check("cello run exits 0 on SIGINT", code, 0)
    print("smoke test passed")


if __name__ == "__main__":
    main()
