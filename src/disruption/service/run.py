"""Running the service: uvicorn on the application, one process or several workers.

Internal: import its public names from :mod:`disruption.service` (``docs/api.md``); the
module itself may move or change without notice.

With several workers uvicorn starts each from an import string, so the settings travel in
the environment variable :data:`SETTINGS_ENV` and :func:`from_environment` builds each
worker's application from them.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from disruption.service.app import create_app
from disruption.service.settings import Settings

__all__ = ["SETTINGS_ENV", "from_environment", "serve"]

SETTINGS_ENV = "DISRUPTION_SERVICE_SETTINGS"
"""The environment variable carrying the settings (JSON) to uvicorn's worker processes."""


def from_environment() -> FastAPI:
    """The application of a worker process, from the settings in :data:`SETTINGS_ENV`."""
    return create_app(Settings.from_json(os.environ[SETTINGS_ENV]))


def serve(settings: Settings) -> None:
    """Run the service until it is stopped (Ctrl-C, SIGTERM).

    Uvicorn's access log is off (the application logs each request without its path's
    values: :class:`disruption.service.app.AccessLog`), and uvicorn leaves logging as the
    caller configured it. Behind a reverse proxy, uvicorn trusts the proxy's
    ``X-Forwarded-*`` headers from loopback only (its default).

    Args:
        settings: The checked settings.
    """
    import uvicorn

    common = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": None,
        "server_header": False,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    os.environ[SETTINGS_ENV] = settings.to_json()
    uvicorn.run(
        "disruption.service.run:from_environment",
        factory=True,
        workers=settings.workers,
        **common,  # type: ignore[arg-type]
    )
