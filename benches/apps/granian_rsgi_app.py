"""Granian RSGI peer app for `cargo xtask bench`: a raw RSGI callable (Granian has no
router), answering the shared endpoints with orjson-encoded bodies.

Run: granian --interface rsgi --workers 1 --runtime-mode st --loop uvloop granian_rsgi_app:app
"""

import asyncio

import orjson

TEXT = [("content-type", "text/plain")]
JSON = [("content-type", "application/json")]
HELLO = {"message": "Hello, World!"}
OCTETS = [("content-type", "application/octet-stream")]
CHUNK = b"x" * (64 * 1024)


async def app(scope, proto):
    path = scope.path
    if path == "/plaintext":
        proto.response_str(200, TEXT, "Hello, World!")
    elif path == "/json" or path == "/async-json":
        proto.response_bytes(200, JSON, orjson.dumps(HELLO))
    elif path.startswith("/users/") or path.startswith("/user/"):
        try:
            user_id = int(path.rsplit("/", 1)[1])
        except ValueError:
            proto.response_str(422, TEXT, "id must be an integer")
            return
        proto.response_bytes(200, JSON, orjson.dumps({"id": user_id}))
    elif path == "/async-sleep":
        await asyncio.sleep(0.001)
        proto.response_bytes(200, JSON, orjson.dumps({"ok": True}))
    elif path == "/stream-10m":
        # issue 11's streamed response: 10 MiB in 160 chunks of 64 KiB
        transport = proto.response_stream(200, OCTETS)
        for _ in range(160):
            await transport.send_bytes(CHUNK)
    else:
        proto.response_str(404, TEXT, "Not Found")
