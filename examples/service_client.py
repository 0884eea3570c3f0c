"""An integration talking to ``disruption serve`` over HTTP, with nothing but the standard library.

It starts the service on a loopback port with development tokens (as ``disruption serve
--db cases.sqlite --dev-tokens`` does), then, as a case-management system would:

1. gets a token (from the development route; in production, from the identity provider);
2. opens a case and raises a concern, each with an ``Idempotency-Key`` (sent twice: the
   second delivery is answered ``200``, not applied again) and ``If-Match`` (the case
   version it read);
3. is refused, as ``application/problem+json``, for a step its role may not take;
4. reads the events after the last position it handled, a page at a time, then follows the
   Server-Sent Events stream from there, keeping the position and chain hash it reached.

Run it: ``python examples/service_client.py`` (the ``server`` extra installed).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


class Service:
    """A client of the service: JSON requests with a bearer token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.token = ""

    def request(
        self, method: str, path: str, body: object = None, **headers: str
    ) -> tuple[int, dict[str, str], Any]:
        """Send a request; the status, the headers and the JSON answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Authorization": f"Bearer {self.token}", **headers}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            connection.request(method, path, data, sent)
            response = connection.getresponse()
            text = response.read()
            answer = json.loads(text) if text else None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
        finally:
            connection.close()

    def stream(self, path: str, last_event_id: int) -> Iterator[dict[str, str]]:
        """The events of a Server-Sent Events stream, each as its fields."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Last-Event-ID": str(last_event_id)}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        fields: dict[str, str] = {}
        try:
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if "data" in fields:
                        yield fields
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
        finally:
            connection.close()


@contextlib.contextmanager
def serving(db: Path) -> Iterator[int]:
    """``disruption serve --dev-tokens`` on a free loopback port, until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "disruption", "serve", "--db", str(db), "--dev-tokens"]
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                if Service(port).request("GET", "/health")[0] == 200:
                    break
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(20)


def main(folder: Path | None = None) -> dict[str, Any]:
    """Run the integration's side against a fresh service; what it saw, by step."""
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as temporary:
        db = (folder or Path(temporary)) / "cases.sqlite"
        with serving(db) as port:
            lcs = Service(port)
            # 1. a token (in production: from the identity provider, e.g. client credentials)
            _, _, token = lcs.request("POST", "/dev/tokens?actor=sw-17&role=social_worker")
            lcs.token = token["access_token"]

            # 2. open a case; the actor is the token's, the case the path's
            opening = {
                "command": "open_case",
                "at": (now - timedelta(hours=2)).isoformat(),
                "data": {
                    "child": "C-0042",
                    "placement": {
                        "id": "PL-7",
                        "type": "U1",
                        "provider": "PR1",
                        "start": (now - timedelta(days=60)).date().isoformat(),
                        "location": "in_borough",
                    },
                },
            }
            key = {"Idempotency-Key": "lcs-msg-1001"}
            status, headers, opened = lcs.request("POST", "/cases/P-0042/commands", opening, **key)
            again, _, repeat = lcs.request("POST", "/cases/P-0042/commands", opening, **key)
            print(f"open_case: {status}, {opened['state']}, ETag {headers['etag']}")
            print(f"the same message again: {again}, duplicate={repeat['duplicate']}")

            concern = {
                "command": "raise_concern",
                "at": (now - timedelta(hours=1)).isoformat(),
                "data": {"category": "carer_difficulty", "raised_by": "carer"},
            }
            raised = lcs.request(
                "POST",
                "/cases/P-0042/commands",
                concern,
                **{"Idempotency-Key": "lcs-msg-1002", "If-Match": headers["etag"]},
            )
            print(f"raise_concern: {raised[0]}, {raised[2]['state']}, ETag {raised[1]['etag']}")

            # 3. a step the role may not take: a problem document, written to the access log
            nfa = {
                "command": "no_further_action",
                "at": now.isoformat(),
                "data": {"reason": "settled after a visit"},
            }
            refused = lcs.request("POST", "/cases/P-0042/commands", nfa)
            problem = refused[2]
            print(f"no_further_action: {refused[0]} {problem['error']} (role {problem['role']})")

            # 4. events: pages from the last position handled, then the stream from there
            position = 0
            _, _, page = lcs.request("GET", f"/events?after={position}&limit=1")
            position = page[-1]["position"]
            streamed = []
            for event in lcs.stream("/events/stream", last_event_id=position):
                streamed.append(json.loads(event["data"]))
                position = int(event["id"])
                if position == 2:  # in an integration: forever, saving the position
                    break
            head = streamed[-1]["chainhash"]
            print(f"events: {[e['type'] for e in page + streamed]}; head {position}:{head[:12]}...")
            return {
                "opened": status,
                "again": again,
                "raised": raised[0],
                "refused": refused[0],
                "problem": problem,
                "events": [e["type"] for e in page + streamed],
                "head": (position, head),
            }


if __name__ == "__main__":
    main()
