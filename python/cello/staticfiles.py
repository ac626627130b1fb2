"""``StaticFiles``: a directory served from Rust under ``app.mount(prefix, ...)``.

    app.mount("/static", StaticFiles(directory="public"), name="static")

Starlette's class and keywords. Requests for the mount never reach Python: the
engine (cello-static's ``ServeDir``) answers them with ``ETag``/``Last-Modified``,
conditional requests (304, 412), ``Range`` (206, ``multipart/byteranges``, 416),
precompressed ``.br``/``.gz`` siblings chosen by ``Accept-Encoding``, and ``HEAD``;
other methods get 405. Paths that could leave the directory (``..``, ``%2e%2e``,
``%2f``, backslashes, NUL, symlinks that resolve outside it) are 404.
"""

from __future__ import annotations

import os

__all__ = ["StaticFiles"]


class StaticFiles:
    """The files under ``directory``. ``html=True``: a directory is answered by its
    ``index.html`` (``/docs`` is redirected to ``/docs/``) and a missing file by the
    directory's ``404.html``, when there is one. ``check_dir``: a missing
    directory raises ``RuntimeError`` now rather than when the app starts."""

    def __init__(
        self,
        *,
        directory: str | os.PathLike[str],
        html: bool = False,
        check_dir: bool = True,
    ) -> None:
        self.directory = os.fspath(directory)
        self.html = html
        if check_dir and not os.path.isdir(self.directory):
            raise RuntimeError(f"Directory '{self.directory}' does not exist")

    def __repr__(self) -> str:
        return f"StaticFiles(directory={self.directory!r}, html={self.html!r})"
