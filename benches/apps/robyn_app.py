"""Robyn peer app for `cargo xtask bench`: one process, one worker, the shared endpoints,
the typed endpoint, a WebSocket echo at `/ws`, and, when `STATIC_DIR` is set, that
directory served at `/static` (`serve_directory`).

Run: PORT=8000 python robyn_app.py --processes 1 --workers 1 --log-level WARNING
"""

import asyncio
import os
from dataclasses import dataclass

from robyn import Robyn, Request

app = Robyn(__file__)


@app.get("/plaintext")
def plaintext(request: Request):
    return "Hello, World!"


@app.get("/json")
def json_(request: Request):
    return {"message": "Hello, World!"}


@app.get("/users/:id")
def users(request: Request):
    return {"id": int(request.path_params["id"])}


@app.get("/user/:id")
def user(request: Request):
    return {"id": int(request.path_params["id"])}


@app.get("/async-json")
async def async_json(request: Request):
    return {"message": "Hello, World!"}


@app.get("/async-sleep")
async def async_sleep(request: Request):
    await asyncio.sleep(0.001)
    return {"ok": True}


@dataclass
class Item:
    """The typed endpoint's body: 10 fields (benches/typed_body.json). Robyn does not
    read types from the signature: the handler converts and checks by hand, as a
    Robyn user would."""

    id: int
    name: str
    email: str
    age: int
    score: float
    active: bool
    tags: list[str]
    city: str
    country: str
    note: str | None = None


@app.post("/typed")
def typed(request: Request):
    limit = int(request.query_params.get("limit", "10"))
    q = request.query_params.get("q", None)
    item = Item(**request.json())
    return {"limit": limit, "q": q, "id": item.id, "name": item.name, "tags": len(item.tags)}


@app.websocket("/ws")
async def echo(websocket):
    # Robyn's modern WebSocket API; the loop ends with WebSocketDisconnect at close
    while True:
        await websocket.send_text(await websocket.receive_text())


if os.environ.get("STATIC_DIR"):
    app.serve_directory(route="/static", directory_path=os.environ["STATIC_DIR"])


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=int(os.environ["PORT"]), _check_port=False)
