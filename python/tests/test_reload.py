"""``cello run --reload``: an edit is served within seconds, a broken edit is shown
and the old code keeps serving until a later edit fixes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import free_port, wait_until

APP = """\
from cello import App

app = App()


@app.get("/version")
def version():
    return {{"version": {version}}}
"""


def version(url: str) -> int | None:
    try:
        return httpx.get(url + "/version", headers={"connection": "close"}, timeout=5).json()["version"]
    except httpx.TransportError:
        return None


def test_reload_serves_an_edit_and_keeps_the_old_code_through_a_syntax_error(tmp_path: Path) -> None:
    module = tmp_path / "reload_app.py"
    module.write_text(APP.format(version=1))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "reload.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cello", "run", "reload_app:app", "--port", str(port), "--reload"],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        assert wait_until(lambda: version(url) == 1, timeout=30), log_path.read_text()

        module.write_text(APP.format(version=2))
        assert wait_until(lambda: version(url) == 2, timeout=20), log_path.read_text()

        module.write_text(APP.format(version="3 +"))  # a syntax error
        assert wait_until(lambda: "the old workers keep serving" in log_path.read_text(), timeout=20), log_path.read_text()
        assert "SyntaxError" in log_path.read_text()
        assert [version(url) for _ in range(5)] == [2] * 5
        assert proc.poll() is None

        module.write_text(APP.format(version=4))
        assert wait_until(lambda: version(url) == 4, timeout=20), log_path.read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
    assert code == 0, log_path.read_text()


CONFIGURED_APP = """\
from pathlib import Path

from cello import App

app = App()
VERSION = int(Path("conf/version.cfg").read_text())


@app.get("/version")
def version():
    return {"version": VERSION}
"""


def test_reload_from_the_environment_watches_the_dir_and_globs_it_names(tmp_path: Path) -> None:
    # CELLO_RELOAD_DIR/INCLUDE/EXCLUDE: only conf/*.cfg, minus skip*.cfg, restart the worker.
    (tmp_path / "reload_cfg_app.py").write_text(CONFIGURED_APP)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "version.cfg").write_text("1")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "reload.log"
    env = {
        "CELLO_RELOAD": "1",
        "CELLO_RELOAD_DIR": str(conf),
        "CELLO_RELOAD_INCLUDE": "*.cfg",
        "CELLO_RELOAD_EXCLUDE": "skip*.cfg",
    }
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cello", "run", "reload_cfg_app:app", "--port", str(port)],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
    try:
        assert wait_until(lambda: version(url) == 1, timeout=30), log_path.read_text()
        (conf / "skip_me.cfg").write_text("ignored")
        (tmp_path / "unwatched.cfg").write_text("outside the watched dir")
        time.sleep(1.5)  # long enough for the watcher to have seen them, were they watched
        assert "a watched file changed" not in log_path.read_text()

        (conf / "version.cfg").write_text("2")
        assert wait_until(lambda: version(url) == 2, timeout=20), log_path.read_text()
        assert log_path.read_text().count("a watched file changed") == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
