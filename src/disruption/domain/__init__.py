"""The domain: case model, events, commands and their payloads, codes, calendars and clocks.

The lowest layer: it imports nothing else from the package but :mod:`disruption.exceptions`.
"""
