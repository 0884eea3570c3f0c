"""The domain: case model, events, commands and their payloads, codes, calendars and clocks.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

The lowest layer: it imports nothing else from the package but :mod:`disruption.exceptions`.
"""
