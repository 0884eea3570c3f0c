"""Procedures: their definition, drafts, the catalogue and the standard procedure.

:mod:`disruption.procedure.machine` is the only module that imports ``transitions``.
"""
