"""PLACEHOLDER (h-compat) for the Cello typed app of `cargo xtask bench`: the body
helper's `cello_typed_app.py` replaces this file. What it must keep, as the peers
serve it (fastapi_app.py, robyn_app.py):

POST /typed?limit=5&q=abc, JSON body benches/typed_body.json (a 10-field
dataclass), answers {"limit": 5, "q": "abc", "id": 1, "name": "Ada Lovelace", "tags": 2}.

Until Cello reads a dataclass body from the signature, this placeholder types the
two query parameters in the signature and builds the dataclass from `req.json()`
by hand (no validation of the fields' types): its figures are not the typed ones.

Run: python cello_typed_app.py 8000
"""

import sys
from dataclasses import dataclass

from cello import App, Request

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
def typed(req: Request, limit: int = 10, q: str | None = None):
    item = Item(**req.json())
    return {"limit": limit, "q": q, "id": item.id, "name": item.name, "tags": len(item.tags)}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
