"""The functional core: deciding a command, folding events into a case.

:mod:`~disruption.core.decide` and :mod:`~disruption.core.fold`: no input or output, no clock
read.
"""
