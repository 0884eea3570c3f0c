"""The demonstration: synthetic histories and returns, a year of cases, and the demo run.

Internal: this package and its modules are not part of the public API (``docs/api.md``); they
may change without notice.
"""
