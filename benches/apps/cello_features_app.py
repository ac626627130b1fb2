"""The shared `/json` endpoint with app-layer features on, for instruction counts of
what each feature costs (benches/NOTES.md). `/health` is a constant route.

Run: python cello_features_app.py PORT [cors+request-id]
"""

import sys

from cello import App
from cello.middleware import CORS, RequestId

features = sys.argv[2] if len(sys.argv) > 2 else ""
middleware = [RequestId(), CORS(allow_origins=["https://app.example"])] if "cors" in features else []
app = App(middleware=middleware)
app.const("/health", "ok")


@app.get("/json")
def json_(req):
    return {"message": "Hello, World!"}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
