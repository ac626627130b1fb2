"""The upload benchmark's server (``benches/upload_rss.py``): one worker that takes
each multipart upload as an ``UploadFile`` and answers its size."""

import sys

from cello import App, UploadFile

app = App()


@app.post("/upload")
async def upload(file: UploadFile):
    return {"size": file.size}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
