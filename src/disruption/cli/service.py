"""``disruption serve``: the integration service over HTTP (the ``server`` extra).

The service package (FastAPI, uvicorn, PyJWT) is imported in the command's body, so that
``disruption --help`` and every other command start without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from disruption.cli._common import DbOption, KeysOption, ProcedureOption, app, err, fail, friendly
from disruption.cli.cases import DEFAULT_SOURCE

__all__ = ["serve"]


@app.command()
@friendly
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (uvicorn).")] = 1,
    jwks: Annotated[
        str | None,
        typer.Option(
            help="The identity provider's signing keys: a JWKS file, or an http(s):// URL "
            "(read at start, and again when a token names a new key)."
        ),
    ] = None,
    issuer: Annotated[str | None, typer.Option(help="The tokens' issuer (iss), checked.")] = None,
    audience: Annotated[
        str | None, typer.Option(help="The tokens' audience (aud), checked.")
    ] = None,
    actor_claim: Annotated[str, typer.Option(help="The claim with the actor's id.")] = "sub",
    role_claim: Annotated[str, typer.Option(help="The claim with the actor's role.")] = "role",
    dev_tokens: Annotated[
        bool,
        typer.Option(
            "--dev-tokens",
            help="Sign development tokens with a key made at start (POST /dev/tokens), for "
            "a demonstration: loopback hosts only.",
        ),
    ] = False,
    max_body: Annotated[
        int, typer.Option(min=1, help="The largest request body accepted, in bytes.")
    ] = 1_000_000,
    source: Annotated[str, typer.Option(help="The CloudEvents source.")] = DEFAULT_SOURCE,
    procedure: ProcedureOption = None,
    keys: KeysOption = None,
    text_reader: Annotated[
        list[str] | None,
        typer.Option(
            help="A role the case board shows free text to (repeat it for several); by "
            "default social workers, their managers, the head of service and the IRO."
        ),
    ] = None,
) -> None:
    """Serve the engine over HTTP: commands, cases, deadlines, events (docs/integration.md)."""
    try:
        from disruption.service import Settings
        from disruption.service import serve as run
        from disruption.service.settings import TEXT_READERS
    except ImportError as error:
        raise fail(
            f"serve needs the server extra ({error.name} is missing): "
            "pip install 'disruption[server]'"
        ) from None
    assert db is not None  # DbOption refuses none
    settings = Settings(
        db=db,
        keys=keys,
        procedure=None if procedure is None else Path(procedure),
        host=host,
        port=port,
        workers=workers,
        jwks=jwks,
        issuer=issuer,
        audience=audience,
        actor_claim=actor_claim,
        role_claim=role_claim,
        dev_tokens=dev_tokens,
        max_body=max_body,
        source=source,
        text_readers=tuple(text_reader) if text_reader else TEXT_READERS,
    )
    if dev_tokens:
        err.print(
            f"development tokens: POST http://{host}:{port}/dev/tokens?actor=ID&role=ROLE "
            "(for a demonstration only)",
            markup=False,
        )
    run(settings)
