"""Data protection: retention (whose records are due for erasure) and subject access.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

Erasing a child's free text is :meth:`disruption.engine.engine.Engine.erase`, its event
:func:`disruption.core.system.erasure_event`.
"""
