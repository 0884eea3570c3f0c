"""``python -m disruption``: the same as the ``disruption`` command."""

from disruption.cli import main

main()
