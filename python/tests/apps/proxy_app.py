"""The app the access-log-to-stderr test reads: trusted proxies from 127.0.0.1 and one
access-log line per request on stderr.

Run as ``python proxy_app.py PORT``.
"""

import sys

from cello import App, Request
from cello.middleware import AccessLog, RequestId, TrustedProxies

app = App(middleware=[TrustedProxies(trusted=["127.0.0.1"]), RequestId(), AccessLog(target="stderr")])


@app.get("/hello")
def hello(req: Request):
    return "hello, world"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
