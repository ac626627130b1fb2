"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) as constant
routes: the document is fixed once the app is built, so serving it calls no Python
per request. The pages load their scripts from this app (``/docs/static/...``),
never from a CDN: the assets ship in the wheel (``_static/``, fetched from npm at
build time by ``xtask/src/npm_assets.rs``)."""

from __future__ import annotations

import functools
import html
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from . import _cello

if TYPE_CHECKING:
    from .app import App

logger = logging.getLogger("cello")

STATIC = Path(__file__).parent / "_static"

#: Long-lived: the asset names do not change within one cello version.
_ASSET_HEADERS = {"cache-control": "public, max-age=86400"}
_TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def swagger_ui_html(title: str, openapi_url: str, static_url: str) -> str:
    """The Swagger UI page for the document at ``openapi_url``."""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<link type="text/css" rel="stylesheet" href="{html.escape(static_url)}/swagger-ui.css">
<title>{html.escape(title)} - Swagger UI</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{html.escape(static_url)}/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({{
    url: {_js(openapi_url)},
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
}})
</script>
</body>
</html>
"""


def redoc_html(title: str, openapi_url: str, static_url: str) -> str:
    """The ReDoc page for the document at ``openapi_url``."""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - ReDoc</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript to show this API's documentation.</noscript>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script type="module" src="{html.escape(static_url)}/redoc.standalone.js"></script>
</body>
</html>
"""


def _js(value: str) -> str:
    """A JavaScript string literal that cannot end the ``<script>`` element."""
    return json.dumps(value).replace("<", "\\u003c")


def add_routes(app: App, engine: _cello.Engine) -> None:
    """Registers the document and the docs pages on ``engine``. A path the app
    itself routes (any method, a constant or a native route) is left to the app: its route wins."""
    taken = (
        {spec.path for spec in app._routes}
        | {path for _, path, _ in app._consts}
        | {path for _, path, _ in app._natives}
    )

    def add(path: str, value: object) -> None:
        if path not in taken:
            engine.add_const("GET", path, value)

    if app.openapi_url is None:
        return
    # Behind a proxy that mounts the app under a prefix (`--root-path`), as FastAPI
    # does: the document names that server first and the pages fetch it through it.
    root = getattr(app, "_root_path", "")
    try:
        doc = app.openapi()
        if root and not any(s.get("url") == root for s in doc.get("servers", ())):
            doc = {**doc, "servers": [{"url": root}, *doc.get("servers", ())]}
        document = _cello.json_dumps(doc)
    except Exception:
        # The app still serves; only its description is missing.
        logger.exception("could not build the OpenAPI document: %s and the docs pages are off", app.openapi_url)
        return
    add(app.openapi_url, _cello.Response(document, content_type="application/json"))
    pages = (
        (app.docs_url, "swagger-ui", swagger_ui_html, ("swagger-ui-bundle.js", "swagger-ui.css")),
        (app.redoc_url, "redoc", redoc_html, ("redoc.standalone.js",)),
    )
    for url, folder, page, assets in pages:
        if url is None:
            continue
        static_url = f"{url.rstrip('/')}/static"
        files = [STATIC / folder / name for name in assets]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            # A wheel built by `maturin build` alone, without the xtask step.
            message = (
                f"{url} is unavailable: this build of cello lacks {', '.join(missing)} "
                f"(in {STATIC / folder}); build the wheel with `cargo xtask build`"
            )
            logger.warning("%s", message)
            add(url, _cello.Response(message, status=503))
            continue
        add(url, _cello.Response.html(page(app.title, root + app.openapi_url, root + static_url)))
        for f in files:
            add(
                f"{static_url}/{f.name}",
                _cello.Response(_read(f), headers=_ASSET_HEADERS, content_type=_TYPES[f.suffix]),
            )


@functools.lru_cache(maxsize=None)
def _read(path: Path) -> bytes:
    """Once per process: every engine built (each ``TestClient``) shares the bytes."""
    return path.read_bytes()
