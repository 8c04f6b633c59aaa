"""The analysts' workspace (`patroli serve`): a server-rendered web app on the same store as the CLI.

Needs the `web` extra (Starlette, Jinja2, uvicorn, python-multipart, argon2-cffi)::

    from pipeline.web import create_app, serve
    app = create_app("sqlite:///patroli.db")     # an ASGI app (Starlette)
    serve("sqlite:///patroli.db", port=8000)     # the same under uvicorn
"""

from __future__ import annotations

from pipeline.web.app import create_app
from pipeline.web.server import serve

__all__ = ["create_app", "serve"]
