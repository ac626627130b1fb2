"""An app for the TLS tests (test_tls.py): run as ``cello run tls_app:app --ssl-...``
from this directory. ``/who`` says how the request arrived; ``/ws/echo`` echoes."""

import hashlib

from cello import App, Request, WebSocket

app = App()


@app.get("/who")
def who(req: Request):
    cert = req.client_cert
    tls = req.tls
    return {
        "scheme": req.scheme,
        "url": req.url,
        "tls_version": tls and tls["tls_version"],
        "alpn": tls and tls["alpn_protocol"],
        "client_cert_sha256": cert and hashlib.sha256(cert).hexdigest(),
    }


@app.websocket("/ws/echo")
async def echo(ws: WebSocket):
    await ws.accept()
    async for msg in ws:
        await ws.send_text(msg if isinstance(msg, str) else msg.decode())
