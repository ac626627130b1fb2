"""A client that goes away mid-request cancels its handler's Task: the handler sees
CancelledError at its await, as under any asyncio server."""

import asyncio
import socket
import time

from cello import App
from cello.testing import TestClient


def test_a_client_leaving_cancels_the_suspended_handler():
    app = App()
    seen: dict[str, str] = {}

    @app.get("/slow/{key}")
    async def slow(req, key: str):
        try:
            await asyncio.sleep(5)
            seen[key] = "finished"
        except asyncio.CancelledError:
            seen[key] = "cancelled"
            raise
        return {"ok": True}

    with TestClient(app) as client:
        s = socket.create_connection(("127.0.0.1", client.port))
        s.sendall(b"GET /slow/k1 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        s.close()
        deadline = time.monotonic() + 30  # ends as soon as the handler saw it
        while "k1" not in seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen.get("k1") == "cancelled"
        # and the worker goes on serving
        assert client.get("/nope").status_code == 404
