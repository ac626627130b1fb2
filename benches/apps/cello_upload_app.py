"""The upload benchmark's server (``benches/upload_rss.py``): one worker that takes
each multipart upload as an ``UploadFile`` and answers its size."""

import sys

from cello import App, UploadFile

app = App()


@app.post("/upload")
async def upload(file: UploadFile):
    return {"size": file.size}


if __name__ == "__main__":
    # 100 uploads of 50 MiB share one core: each may take longer than the default
    # 60 s request_read_timeout on a loaded machine.
    app.run(host="127.0.0.1", port=int(sys.argv[1]), request_read_timeout=600)
