"""Data protection: retention (whose records are due for erasure) and subject access.

Erasing a child's free text is :meth:`disruption.engine.engine.Engine.erase`, its event
:func:`disruption.core.system.erasure_event`.
"""
