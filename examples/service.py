"""A small notes service: the Rust middleware (request ids, CORS, gzip), an auth
middleware in Python on the ``/api`` routes only, one error format for every error
(the router's 404/405/422, a body over the limit, ``HTTPException``, and unexpected
exceptions), and a ``/health`` route answered from Rust.

    python examples/service.py [PORT]

    curl localhost:8000/health
    curl -H 'authorization: Bearer demo-token' -d '{"text": "hi"}' localhost:8000/api/notes
    curl -H 'authorization: Bearer demo-token' localhost:8000/api/notes
    curl localhost:8000/api/notes          # 401, in the service's error format
"""

from __future__ import annotations

import sys
from typing import Any, Awaitable, Callable

from cello import App, HTTPException, Request, Response, Router
from cello.middleware import CORS, Compression, RequestId

# Demo credentials; a real service checks tokens against its identity provider.
TOKENS = {"demo-token": "ada", "other-token": "grace"}
MAX_BODY = 64 * 1024

app = App(
    middleware=[
        # Outermost first: every answer, a CORS preflight or an error included,
        # carries the request id.
        RequestId(),
        CORS(
            allow_origins=["https://notes.example"],
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["authorization", "content-type"],
            expose_headers=["x-request-id"],
        ),
        Compression(),
    ]
)
api = Router("/api")

app.const("/health", "ok")


@app.on_startup
def create_store() -> None:
    # app.state is per worker (each worker is a process): fill it here.
    app.state.notes = {}
    app.state.next_id = 1


# -- one error format ---------------------------------------------------------------


def error(req: Request, status: int, message: Any, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"status": status, "message": message, "request_id": req.request_id}}
    return Response.json(body, status=status, headers=headers)


@app.exception_handler(HTTPException)
def http_error(req: Request, exc: HTTPException) -> Response:
    # Raised by a handler or middleware, or the router's own 404/405/422 and 413.
    return error(req, exc.status_code, exc.detail, exc.headers)


@app.exception_handler(Exception)
def unexpected_error(req: Request, exc: Exception) -> Response:
    # The traceback is logged by Cello; the client sees no internals.
    return error(req, 500, "Internal Server Error")


# -- auth, on /api only ----------------------------------------------------------------


@api.middleware
async def authenticate(req: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    scheme, _, token = req.headers.get("authorization", "").partition(" ")
    user = TOKENS.get(token) if scheme.lower() == "bearer" else None
    if user is None:
        raise HTTPException(401, "missing or invalid bearer token", headers={"www-authenticate": "Bearer"})
    req.state.user = user
    return await call_next(req)


# -- the API ---------------------------------------------------------------------------


def mine(req: Request) -> dict[int, dict[str, Any]]:
    return {i: n for i, n in app.state.notes.items() if n["owner"] == req.state.user}


@api.get("/notes")
def list_notes(req: Request) -> list[dict[str, Any]]:
    return list(mine(req).values())


@api.post("/notes")
def create_note(req: Request) -> tuple[dict[str, Any], int]:
    data = req.json()
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        raise HTTPException(422, "a note needs a non-empty `text`")
    note = {"id": app.state.next_id, "owner": req.state.user, "text": text}
    app.state.notes[note["id"]] = note
    app.state.next_id += 1
    return note, 201


@api.get("/notes/{note_id:int}")
def get_note(req: Request, note_id: int) -> dict[str, Any]:
    note = mine(req).get(note_id)
    if note is None:
        raise HTTPException(404, f"no note {note_id}")
    return note


@api.delete("/notes/{note_id:int}")
def delete_note(req: Request, note_id: int) -> None:
    if note_id not in mine(req):
        raise HTTPException(404, f"no note {note_id}")
    del app.state.notes[note_id]


@api.get("/crash")
def crash(req: Request) -> None:
    """Fails on purpose, to show how an unexpected error is answered."""
    raise RuntimeError("this is a bug")


app.include_router(api)

if __name__ == "__main__":
    app.run(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000, max_body_size=MAX_BODY)
