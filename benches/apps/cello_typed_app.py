"""Cello app for the typed-handler bench row: `POST /typed?limit=..&q=..` with two
typed query parameters and a 10-field dataclass body, answering a small dict; the
untyped `/json` beside it for comparison. The port is the first argument.

Run: python cello_typed_app.py 8000
Load: POST /typed?limit=5&q=cello with BODY below (Content-Type: application/json).
"""

import sys
from dataclasses import dataclass, field

from cello import App

#: The request body the bench sends.
BODY = (
    b'{"name": "widget", "description": "a small widget", "price": 9.99, "tax": 0.5,'
    b' "quantity": 3, "in_stock": true, "tags": ["a", "b"], "sku": "W-1",'
    b' "weight": 1.25, "rating": 4}'
)


@dataclass
class Item:
    name: str
    description: str
    price: float
    tax: float
    quantity: int
    in_stock: bool
    tags: list[str] = field(default_factory=list)
    sku: str = ""
    weight: float = 0.0
    rating: int = 0


app = App()


@app.post("/typed")
def typed(item: Item, limit: int = 10, q: str | None = None):
    return {"name": item.name, "total": item.price * item.quantity, "limit": limit, "q": q}


@app.post("/untyped")
def untyped(req):
    # The same answer without reading the request: what a POST costs before validation.
    return {"name": "widget", "total": 29.97, "limit": 5, "q": "cello"}


@app.get("/json")
def json_(req):
    return {"message": "Hello, World!"}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
