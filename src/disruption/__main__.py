"""``python -m disruption``: the same as the ``disruption`` command.

Internal: not part of the public API (``docs/api.md``); use the ``disruption`` command.
"""

from disruption.cli import main

main()
