"""Cello app for the typed-handler bench row of `cargo xtask bench`: `POST
/typed?limit=..&q=..` with two typed query parameters and a 10-field dataclass body
(benches/typed_body.json), validated by the engine from the signature, answering
a small dict, as the peers serve it (fastapi_app.py, robyn_app.py). Beside it, the
untyped `/json`, and `POST /untyped`: the same answer without reading the request
(what a POST costs before validation). The port is the first argument.

Run: python cello_typed_app.py 8000
Load: POST /typed?limit=5&q=abc with benches/typed_body.json (Content-Type: application/json)
  → {"limit": 5, "q": "abc", "id": 1, "name": "Ada Lovelace", "tags": 2}
"""

import sys
from dataclasses import dataclass

from cello import App

app = App()


@dataclass
class Item:
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
def typed(item: Item, limit: int = 10, q: str | None = None):
    return {"limit": limit, "q": q, "id": item.id, "name": item.name, "tags": len(item.tags)}


@app.post("/untyped")
def untyped(req):
    return {"limit": 5, "q": "abc", "id": 1, "name": "Ada Lovelace", "tags": 2}


@app.get("/json")
def json_(req):
    return {"message": "Hello, World!"}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
