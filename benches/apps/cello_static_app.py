"""Cello app for `cargo xtask bench`'s static file row (issue 11): the directory in
`$STATIC_DIR` mounted at `/static` (served by cello-static in Rust, never calling
Python), and `/plaintext` for the bench's start-up check. The port is the first
argument.

Run: STATIC_DIR=/tmp/files python cello_static_app.py 8000
"""

import os
import sys

from cello import App
from cello.staticfiles import StaticFiles

app = App()
app.mount("/static", StaticFiles(directory=os.environ["STATIC_DIR"]), name="static")


@app.get("/plaintext")
def plaintext() -> str:
    return "Hello, World!"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
