"""An app for the ``cello`` command's tests (test_cli.py): run as ``cello run
cli_app:app`` from this directory, or ``cli_app:create_app --factory``."""

import asyncio
import os

from cello import App, Request, WebSocket


def create_app(name: str = "factory") -> App:
    app = App()

    @app.get("/who")
    def who():
        return {"app": name, "pid": os.getpid()}

    @app.post("/echo")
    def echo(req: Request):
        return {"size": len(req.body)}

    @app.get("/where")
    def where(req: Request):
        return {"client": req.client, "root_path": req.root_path, "path": req.path, "url": req.url}

    @app.get("/slow")
    async def slow(seconds: float = 2.0):
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    @app.websocket("/ws")
    async def echo_ws(ws: WebSocket):
        await ws.accept()
        async for message in ws:
            await ws.send_text(message)

    return app


app = create_app("module")
not_an_app = 42
