"""The demo app: `cargo xtask demo` serves it on http://127.0.0.1:8000."""

import asyncio
import sys

from cello import App, HTTPException, Request, Response

app = App()


@app.get("/")
def index(req: Request):
    return {"message": "Hello from Cello", "try": ["/plaintext", "/json", "/users/42?q=hi", "/async-sleep"]}


@app.get("/plaintext")
def plaintext(req: Request):
    return "Hello, World!"


@app.get("/json")
def json_(req: Request):
    return {"message": "Hello, World!"}


@app.get("/users/{user_id}")
async def get_user(req: Request, user_id: int):
    if user_id == 0:
        raise HTTPException(404, "no such user")
    return {"id": user_id, "q": req.query.get("q")}


@app.post("/items")
async def create(req: Request):
    item = req.json()
    return Response.json(item, status=201, headers={"x-created": "1"})


@app.get("/async-sleep")
async def async_sleep(req: Request):
    await asyncio.sleep(0.001)
    return {"ok": True}


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    app.run(host="127.0.0.1", port=port, workers=1)
