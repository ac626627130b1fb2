"""Third-party tools run against a served app's OpenAPI document: headless
Chromium rendering ``/docs`` and ``/redoc`` with no network, and schemathesis
fuzzing the operations. Shared by the tests of the OpenAPI example apps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

import pytest


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(url: str) -> str:
    """The DOM of ``url`` after its scripts ran, in headless Chromium that can
    resolve no host but 127.0.0.1 (so a CDN reference would fail to load)."""
    chromium = _chromium()
    if chromium is None:
        # CI installs it for the 3.11 run; the CPython 3.13 root has none.
        if os.environ.get("CI") == "true" and sys.version_info[:2] == (3, 11):
            pytest.fail("chromium is missing; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    out = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    return out.stdout.decode(errors="replace")


#: What schemathesis checks on every response it gets.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def schemathesis(base_url: str, tmp_path: Any, *extra: str) -> tuple[int, str]:
    """Runs schemathesis from the served document with bounded, seeded examples;
    ``extra`` are more of its options (``-H``, filters)."""
    out = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "schemathesis"),
            "run",
            base_url + "/openapi.json",
            "--checks",
            CHECKS,
            "--mode",
            "positive",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-color",
            "--generation-database",
            "none",
            "--report-dir",
            str(tmp_path),
            *extra,
        ],
        capture_output=True,
        timeout=600,
        cwd=tmp_path,
    )
    return out.returncode, out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")
