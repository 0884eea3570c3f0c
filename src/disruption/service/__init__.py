"""The integration service: the engine over HTTP, with authenticated actors (``disruption serve``).

An ASGI application (FastAPI, run by uvicorn) with the JSON command contract at
``POST /cases/{case}/commands``, the reads a case-management system needs, the event feed
as CloudEvents pages and a Server-Sent Events stream, and an OpenAPI document at
``/openapi.json``. Every route but ``/health`` needs a bearer token (JWT) signed by the
identity provider; the actor and role are its claims. Installed with the ``server`` extra
(``pip install 'disruption[server]'``); see ``docs/integration.md``.

- :mod:`~disruption.service.settings`: what the service is started with, checked;
- :mod:`~disruption.service.tokens`: bearer tokens, the identity provider's keys,
  development tokens;
- :mod:`~disruption.service.problems`: errors as ``application/problem+json``;
- :mod:`~disruption.service.api`: the routes; :mod:`~disruption.service.app`: the application;
- :mod:`~disruption.service.run`: uvicorn.
"""

from __future__ import annotations

from disruption.service.app import create_app
from disruption.service.run import serve
from disruption.service.settings import Settings

__all__ = ["Settings", "create_app", "serve"]
