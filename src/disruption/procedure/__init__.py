"""Procedures: their definition, drafts, the catalogue and the standard procedure.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

:mod:`disruption.procedure.machine` is the only module that imports ``transitions``.
"""
