"""Benchmark the HTTP service against the library called directly, and check it loses nothing.

The same workload, in the same run, on two fresh SQLite stores (or PostgreSQL schemas):

- **service**: ``disruption serve --dev-tokens`` in a process of its own (uvicorn, one
  worker, on loopback), and ``--clients`` threads each sending its commands over HTTP (a
  keep-alive HTTP/1.1 connection each, the responses parsed by httptools: a light client,
  as the client's CPU is taken from the cores the server runs on) with a bearer token, an
  ``Idempotency-Key`` per command, retries (a transport error, 409, 5xx: sent again with
  the same key, at most 5 times) and, every 25th command, a deliberate second delivery
  (which must come back ``200``, a duplicate);
- **library**: the same ``--clients`` threads calling ``Engine.handle`` on one store in this
  process (``Command.from_json`` on the same objects: the caller's path).

Each client works its own cases: an ``open_case``, then ``raise_concern`` and
``no_further_action`` (a team manager, with free text) in turn, the cases round robin.
Rounds are interleaved (who goes first alternates; every round's cases are new); the
medians of the rounds' commands per second are printed, and the median of the rounds' own
ratios (service / library; the target is at least 0.5). After every round each side's
store is checked: every command applied exactly once (its id once among the events, the
cases at the version their commands make), positions without a gap.

Run it: ``python benchmarks/bench_service.py`` (``--quick`` for a short run; ``--help``).
The slow tier's load test (8 clients x 2,000 commands) calls :func:`load` and :func:`check`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import attrs
import httptools
import httpx
import orjson
import structlog

from disruption.domain.commands import Command
from disruption.engine.engine import Engine
from disruption.engine.ports import CaseStore
from disruption.logs import configure
from disruption.store import open_store

__all__ = ["QUICK", "Job", "Loaded", "check", "load", "main", "plan", "server"]

QUICK: Final = {"clients": 4, "commands": 50, "rounds": 5}
"""``--quick``: small numbers."""
TARGET: Final = 0.5
"""The service's throughput: at least this times the library's."""
CASES_PER_CLIENT: Final = 20
RETRIES: Final = 5
DUPLICATE_EVERY: Final = 25
SW: Final = {"id": "sw-17", "role": "social_worker"}
TM: Final = {"id": "tm-3", "role": "team_manager"}


@attrs.frozen
class Job:
    """One command of the workload: its case, its body (without actor or case) and who."""

    case: str
    key: str
    body: dict[str, Any]
    actor: dict[str, str]


def plan(prefix: str, clients: int, commands: int) -> list[list[Job]]:
    """Every client's commands, in the order it sends them.

    Args:
        prefix: Starts every case reference and command id (new per round).
        clients: How many clients.
        commands: Commands per client.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    base = now - timedelta(hours=1)
    start = (now - timedelta(days=30)).date().isoformat()
    jobs: list[list[Job]] = []
    for c in range(clients):
        cases = [f"{prefix}{c}-{k}" for k in range(min(CASES_PER_CLIENT, commands))]
        mine: list[Job] = []
        step = 0
        while len(mine) < commands:
            for case in cases:
                if len(mine) == commands:
                    break
                at = (base + timedelta(seconds=step)).isoformat()
                key = f"{case}-{step}"
                if step == 0:
                    data: dict[str, Any] = {
                        "child": f"C-{case}",
                        "placement": {
                            "id": "PL-1",
                            "type": "U1",
                            "provider": "PR1",
                            "start": start,
                            "location": "in_borough",
                        },
                    }
                    body, actor = {"command": "open_case", "at": at, "data": data}, SW
                elif step % 2:
                    data = {"category": "carer_difficulty", "raised_by": "carer"}
                    body, actor = {"command": "raise_concern", "at": at, "data": data}, SW
                else:
                    data = {"reason": "the carer and the child talked it through"}
                    body, actor = {"command": "no_further_action", "at": at, "data": data}, TM
                mine.append(Job(case, key, body, actor))
            step += 1
        jobs.append(mine)
    return jobs


@attrs.frozen
class Loaded:
    """What a load over HTTP did: seconds, requests sent, retries, duplicates answered."""

    seconds: float
    commands: int
    requests: int
    retried: int
    duplicates: int


class _Reply:
    """What httptools' response parser calls back with: the body, and when it is whole."""

    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.done = False
        self.keep_alive = True
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()  # known while the head is read

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.done = True


class _Connection:
    """One client's keep-alive HTTP/1.1 connection: a socket, each response parsed by
    httptools (uvicorn's own parser), opened again after a transport error.

    Lighter than the standard library's ``http.client`` (about 0.05 ms of CPU a request
    against 0.13): the client shares the machine's cores with the server, and its own cost
    is not what is measured.
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._socket: socket.socket | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._socket is None:
            self._socket = socket.create_connection((self._host, self._port), timeout=30)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Length: {len(body)}\r\n{lines}\r\n"
        )
        reply = _Reply()
        try:
            self._socket.sendall(head.encode() + body)
            while not reply.done:
                data = self._socket.recv(65536)
                if not data:
                    raise ConnectionError("the server closed the connection")
                reply.parser.feed_data(data)
        except (OSError, httptools.HttpParserError):
            self.close()
            raise
        if not reply.keep_alive:
            self.close()
        return reply.parser.get_status_code(), b"".join(reply.body)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _send(connection: _Connection, job: Job, tokens: dict[str, str]) -> tuple[int, int]:
    """Send one command until it is answered; (requests sent, status)."""
    headers = {
        "Authorization": f"Bearer {tokens[job.actor['id']]}",
        "Idempotency-Key": job.key,
        "Content-Type": "application/json",
    }
    body = orjson.dumps(job.body)
    for attempt in range(1, RETRIES + 1):
        try:
            status, answer = connection.post(f"/cases/{job.case}/commands", body, headers)
        except (OSError, httptools.HttpParserError):
            time.sleep(0.01 * attempt)
            continue
        if status in (201, 200):
            return attempt, status
        if status == 409 or status >= 500:
            time.sleep(0.01 * attempt)
            continue
        raise AssertionError(f"{job.case} {job.body['command']}: {answer.decode()}")
    raise AssertionError(f"{job.case} {job.body['command']}: not answered after {RETRIES}")


def load(url: str, jobs: Sequence[Sequence[Job]]) -> Loaded:
    """Send every client's commands over HTTP, one thread per client, with retries.

    Every :data:`DUPLICATE_EVERY`-th command is delivered a second time, which must be
    answered as a duplicate (``200``).
    """
    with httpx.Client(base_url=url, timeout=30) as http:
        tokens = {
            who["id"]: http.post(
                "/dev/tokens", params={"actor": who["id"], "role": who["role"]}
            ).json()["access_token"]
            for who in (SW, TM)
        }
    counts = [[0, 0, 0] for _ in jobs]
    errors: list[BaseException] = []

    def client(index: int) -> None:
        connection = _Connection(url)
        try:
            for n, job in enumerate(jobs[index], start=1):
                sent, _ = _send(connection, job, tokens)
                counts[index][0] += sent
                counts[index][1] += sent - 1
                if n % DUPLICATE_EVERY == 0:
                    again, status = _send(connection, job, tokens)
                    assert status == 200, f"{job.key} applied twice"
                    counts[index][0] += again
                    counts[index][2] += 1
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(jobs))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Loaded(
        seconds,
        sum(len(j) for j in jobs),
        sum(c[0] for c in counts),
        sum(c[1] for c in counts),
        sum(c[2] for c in counts),
    )


def direct(engine: Engine, jobs: Sequence[Sequence[Job]]) -> float:
    """Apply every client's commands with ``Engine.handle``, one thread per client; seconds."""
    errors: list[BaseException] = []

    def client(index: int) -> None:
        try:
            for job in jobs[index]:
                obj = {**job.body, "case": job.case, "actor": job.actor, "id": job.key}
                engine.handle(Command.from_json(obj))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(jobs))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def check(store: CaseStore, jobs: Sequence[Sequence[Job]], after: int = 0) -> int:
    """Check that every command was applied exactly once; the last position.

    Raises:
        AssertionError: When a command is missing or doubled, a case is not at the version
            its commands make, or the positions after ``after`` have a gap.
    """
    seen: dict[str, int] = {}
    events: dict[str, int] = {}
    position = after
    while batch := store.read_after(position, 1000):
        for stored in batch:
            assert stored.position == position + 1, f"gap after position {position}"
            position = stored.position
            events[stored.event.case] = events.get(stored.event.case, 0) + 1
            key = stored.event.command_id
            if key is not None:
                seen[key] = seen.get(key, 0) + 1
    expected = {job.key for mine in jobs for job in mine}
    doubled = sorted(k for k, n in seen.items() if n > 1)
    missing = sorted(expected - set(seen))
    assert not doubled, f"applied twice: {doubled[:5]}"
    assert not missing, f"lost: {missing[:5]}"
    versions: dict[str, int] = {}
    for mine in jobs:
        for job in mine:
            versions[job.case] = versions.get(job.case, 0) + 1
    for case, version in versions.items():
        assert events.get(case) == version, f"{case}: {events.get(case)} events, not {version}"
    return position


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server(db: str, *, extra: Sequence[str] = ()) -> Iterator[str]:
    """``disruption serve --dev-tokens`` on a free loopback port, in a process of its own."""
    port = _free_port()
    command = [sys.executable, "-m", "disruption", "serve", "--db", db, "--dev-tokens"]
    process = subprocess.Popen(
        [*command, "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the service did not start: {process.stderr.read()}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start in 60 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _stores(folder: str, postgres_url: str) -> tuple[str, str]:
    if not postgres_url:
        return f"{folder}/service.sqlite", f"{folder}/library.sqlite"
    import uuid

    import psycopg

    urls = []
    for _ in range(2):
        name = f"bench_{uuid.uuid4().hex}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        separator = "&" if "?" in postgres_url else "?"
        urls.append(f"{postgres_url}{separator}options=-csearch_path%3D{name}")
    return urls[0], urls[1]


def _drop(postgres_url: str, urls: Sequence[str]) -> None:
    import psycopg

    for url in urls:
        name = url.rsplit("%3D", 1)[1]
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def main(
    clients: int = 8, commands: int = 250, rounds: int = 5, postgres_url: str = ""
) -> dict[str, float]:
    """Measure, check, print and return the numbers.

    Args:
        clients: Concurrent clients (threads) on each side.
        commands: Commands per client per round.
        rounds: Interleaved rounds (at least 5 for the headline).
        postgres_url: Measure on PostgreSQL (two fresh schemas) instead of SQLite files.

    Returns:
        ``service_commands_per_s``, ``library_commands_per_s``, ``ratio`` (the median of
        the rounds' ratios), ``retried`` and ``duplicates`` (over every round).
    """
    saved = structlog.get_config()
    configure("warning")
    folder = tempfile.mkdtemp(prefix="bench-service-")
    service_db, library_db = _stores(folder, postgres_url)
    try:
        return _run(service_db, library_db, clients, commands, rounds)
    finally:
        structlog.configure(**saved)
        if postgres_url:
            _drop(postgres_url, (service_db, library_db))


def _run(
    service_db: str, library_db: str, clients: int, commands: int, rounds: int
) -> dict[str, float]:
    service_rates: list[float] = []
    library_rates: list[float] = []
    retried = duplicates = 0
    with server(service_db) as url:
        library = open_store(library_db)
        service_store = open_store(service_db)
        engine = Engine(library)
        service_at = library_at = 0
        try:
            for r in range(rounds):
                jobs_http = plan(f"H{r}-", clients, commands)
                jobs_lib = plan(f"L{r}-", clients, commands)
                for side in ("service", "library") if r % 2 == 0 else ("library", "service"):
                    if side == "service":
                        loaded = load(url, jobs_http)
                        service_rates.append(loaded.commands / loaded.seconds)
                        retried += loaded.retried
                        duplicates += loaded.duplicates
                        service_at = check(service_store, jobs_http, service_at)
                    else:
                        seconds = direct(engine, jobs_lib)
                        library_rates.append(clients * commands / seconds)
                        library_at = check(library, jobs_lib, library_at)
        finally:
            library.close()
            service_store.close()
    ratios = [s / b for s, b in zip(service_rates, library_rates, strict=True)]
    numbers = {
        "service_commands_per_s": statistics.median(service_rates),
        "library_commands_per_s": statistics.median(library_rates),
        "ratio": statistics.median(ratios),
        "retried": float(retried),
        "duplicates": float(duplicates),
    }
    where = "PostgreSQL" if "://" in service_db and "postgres" in service_db else "SQLite"
    print(f"{clients} clients x {commands} commands, {rounds} interleaved rounds, {where}")
    print(
        f"  service (HTTP, uvicorn, 1 worker): {numbers['service_commands_per_s']:8.0f} commands/s"
    )
    print(
        f"  library (Engine.handle, threads) : {numbers['library_commands_per_s']:8.0f} commands/s"
    )
    met = "met" if numbers["ratio"] >= TARGET else "NOT met"
    ratio = numbers["ratio"]
    print(f"  ratio service/library (median of rounds): {ratio:.2f} (target >= {TARGET}: {met})")
    print(f"  lost 0, doubled 0 (checked); retried {retried}, duplicates answered {duplicates}")
    return numbers


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=250, help="per client per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL instead of SQLite")
    parser.add_argument("--quick", action="store_true", help=f"small numbers: {QUICK}")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _arguments(None)
    options = dict(QUICK) if args.quick else {}
    main(
        clients=options.get("clients", args.clients),
        commands=options.get("commands", args.commands),
        rounds=options.get("rounds", args.rounds),
        postgres_url=args.postgres or os.environ.get("BENCH_POSTGRES_URL", ""),
    )
