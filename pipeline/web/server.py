"""Running the workspace under uvicorn."""

from __future__ import annotations

import uvicorn

from pipeline.store import Store
from pipeline.web.app import create_app


def serve(db: Store | str | None = None, host: str = "127.0.0.1", port: int = 8000, *, https: bool = False,
          log_level: str = "info") -> None:
    """Serve the workspace on host:port until interrupted (behind a TLS proxy, pass `https=True`)."""
    app = create_app(db, https=https)
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=https, server_header=False)
