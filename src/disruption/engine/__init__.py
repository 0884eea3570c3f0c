"""The engine: handling commands against a store, the event feed, migrations and views.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

The store interfaces it needs are in :mod:`disruption.engine.ports`.
"""
