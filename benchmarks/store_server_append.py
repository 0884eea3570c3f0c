"""PostgreSQL: the store's whole append as one server-side function, in one round trip.

A prototype that answers one question for ``docs/performance.md``: would moving an append to
the server (a PL/pgSQL function that writes the case row, the deadlines, the position
counter, the events with their chained hashes and the idempotency row, called with
``BEGIN; SELECT f(...); COMMIT`` in one message) bring durable commands to 0.7x of the raw
driver's one-row insert? It runs the benchmark's decided commands (free text left out, as it
needs its child's key first) against the raw insert of their event rows, interleaved.
It is not the store's code and is not used by it.

Run: ``python benchmarks/store_server_append.py [--commands N] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
import structlog
from store_workload import Step, command_stream, insert_sql, raw_ddl, rows_per_step

from disruption.store.sql import event_rows, rows
from disruption.store.sql.store import SqlStore

__all__ = ["main"]

DEFAULT_POSTGRES: Final = "postgresql://postgres@127.0.0.1:5432/test"

_CASE_SET: Final = ", ".join(
    f"{c} = c->>'{c}'" if c not in ("procedure_version", "version") else f"{c} = (c->>'{c}')::int"
    for c in rows.CASE_COLUMNS[1:]
)
_BODY: Final = " || ".join(
    f"',\"{name}\":' || "
    + (
        f"(e->>'{name}')"
        if name in ("schema_version", "seq")
        else "pos"
        if name == "position"
        else f"coalesce(to_json(e->>'{name}')::text, 'null')"
    )
    for name in sorted(event_rows.EVENT_COLUMNS)
)
_VALUES: Final = ", ".join(
    "pos" if c == "position" else f"(e->>'{c}')::int" if c in ("seq", "schema_version")
    else f"e->>'{c}'"
    for c in event_rows.EVENT_COLUMNS
)  # fmt: skip

FUNCTION: Final = f"""
CREATE FUNCTION server_append(p jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  c jsonb := p->'case'; n int := jsonb_array_length(p->'events');
  v_last bigint; v_prev text; e jsonb; i int := 0; pos bigint; body text;
BEGIN
  IF (p->>'expected')::int = 0 THEN
    INSERT INTO cases SELECT * FROM jsonb_populate_record(null::cases, c);
  ELSE
    UPDATE cases SET {_CASE_SET} WHERE id = c->>'id' AND version = (p->>'expected')::int;
    IF NOT FOUND THEN RAISE EXCEPTION 'stale'; END IF;
  END IF;
  INSERT INTO deadlines SELECT * FROM jsonb_populate_recordset(null::deadlines, p->'open')
    ON CONFLICT (case_id, deadline_id) DO UPDATE SET due = excluded.due,
      status = excluded.status, missed_recorded = excluded.missed_recorded;
  DELETE FROM deadlines WHERE case_id = c->>'id'
    AND deadline_id IN (SELECT jsonb_array_elements_text(p->'closed'));
  UPDATE positions SET last = last + n WHERE id = 1 RETURNING last INTO v_last;
  SELECT hash INTO v_prev FROM events WHERE position = v_last - n;
  v_prev := coalesce(v_prev, repeat('0', 64));
  FOR e IN SELECT * FROM jsonb_array_elements(p->'events') LOOP
    i := i + 1; pos := v_last - n + i;
    body := '{{' || substr({_BODY}, 2) || '}}';
    v_prev := encode(sha256(convert_to(v_prev || E'\\n' || body, 'UTF8')), 'hex');
    INSERT INTO events VALUES ({_VALUES}, v_prev);
  END LOOP;
  IF p->>'command_id' IS NOT NULL THEN
    INSERT INTO commands VALUES (p->>'command_id', c->>'id', v_last - n + 1, v_last);
  END IF;
  RETURN v_last;
END $$"""


def payload(step: Step) -> str:
    """The function's argument for one decided command: its rows, as the store builds them."""
    values = event_rows.event_values(step.events, 0)
    changed = {d.id for e in step.events for d in e.deadlines}
    opened = [dict(zip(rows.DEADLINE_COLUMNS, v, strict=True))
              for v in rows.deadline_values(step.case, changed)]  # fmt: skip
    argument: dict[str, Any] = {
        "case": rows.case_row(step.case),
        "expected": step.expected_version,
        "open": opened,
        "closed": sorted(changed - {o["deadline_id"] for o in opened}),
        "events": [dict(zip(event_rows.EVENT_COLUMNS, v, strict=True)) for v in values],
        "command_id": step.events[0].command_id,
    }
    return orjson.dumps(argument).decode()


def main(commands: int = 2000, postgres_url: str | None = None) -> float:
    """Measure and print; return the ratio (server-side appends / raw inserts, as rates).

    Args:
        commands: Decided commands (the benchmark's stream).
        postgres_url: The server (``None``: ``DISRUPTION_TEST_POSTGRES_URL`` or the default).

    Returns:
        The ratio.
    """
    import psycopg

    url = postgres_url or os.environ.get("DISRUPTION_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    with structlog.testing.capture_logs():
        steps = command_stream(commands)
    raw_rows = rows_per_step(steps)
    schema = f"server_append_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        SqlStore(scoped).close()
        with psycopg.connect(scoped, autocommit=True) as conn, psycopg.connect(scoped) as raw:
            conn.execute(FUNCTION)
            conn.execute(raw_ddl("BIGINT"))
            client, insert = psycopg.ClientCursor(conn), insert_sql("%s")
            call = "BEGIN; SELECT server_append(%s::jsonb); COMMIT"
            raw_cursor = raw.cursor()
            totals = [0.0, 0.0]
            gc.disable()
            for k in range(0, len(steps), 100):
                start = time.perf_counter()
                for step in steps[k : k + 100]:
                    client.execute(call, (payload(step),))
                middle = time.perf_counter()
                for command_rows in raw_rows[k : k + 100]:
                    raw_cursor.execute(insert, command_rows[0])  # one event per command
                    raw.commit()
                totals[0] += middle - start
                totals[1] += time.perf_counter() - middle
            gc.enable()
        with SqlStore(scoped) as store:
            chain = store.verify()  # the server's hashes, checked by the library's own code
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
    ratio = totals[1] / totals[0]
    ours, raw_rate = len(steps) / totals[0], len(steps) / totals[1]
    print(f"postgres: the whole append server-side in one round trip {ours:,.0f}/s, raw one-row "
          f"insert {raw_rate:,.0f}/s: {ratio:.2f}x; chain verified: {chain.ok}")  # fmt: skip
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000, metavar="N")
    parser.add_argument("--postgres", default=None, metavar="URL")
    arguments = parser.parse_args()
    main(arguments.commands, arguments.postgres)
