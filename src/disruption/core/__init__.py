"""The functional core: deciding a command, folding events into a case.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.

:mod:`~disruption.core.decide` and :mod:`~disruption.core.fold`: no input or output, no clock
read.
"""
