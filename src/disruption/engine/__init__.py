"""The engine: handling commands against a store, the event feed, migrations and views.

The store interfaces it needs are in :mod:`disruption.engine.ports`.
"""
