"""`/json` served by a native handler: a Rust function in another extension module
(examples/native-handler), called by the engine with no Python (docs/native-handlers.md).
For instruction counts against raw hyper and the Python `/json` (benches/NOTES.md).

Run: python cello_native_app.py PORT
"""

import sys

import cello_native_example as native

from cello import App

app = App()
app.native("/json", native.json)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
