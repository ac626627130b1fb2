"""Cello: a Python web framework whose runtime is Rust.

Handlers are plain Python functions (``def`` or ``async def``) that return plain
data; sockets, HTTP, routing, JSON and workers run in Rust.
"""

from ._cello import Request, Response, json_dumps, json_loads
from . import _runtime  # noqa: F401  (installs the engine's Python hooks)
from .app import App, Router
from .background import BackgroundTasks
from .datastructures import FormData, Headers, QueryParams, State, UploadFile
from .exceptions import HTTPException
from .param_functions import Body, Cookie, Depends, File, Form, Header, Path, Query, Security
from .websockets import WebSocket, WebSocketDisconnect

__all__ = [
    "App",
    "Router",
    "BackgroundTasks",
    "Request",
    "Response",
    "HTTPException",
    "Query",
    "Path",
    "Header",
    "Cookie",
    "Body",
    "Form",
    "File",
    "UploadFile",
    "FormData",
    "Depends",
    "Security",
    "Headers",
    "QueryParams",
    "State",
    "json_dumps",
    "json_loads",
    "WebSocket",
    "WebSocketDisconnect",
]
