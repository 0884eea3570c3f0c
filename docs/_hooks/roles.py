"""MkDocs hook: show the docstrings' Sphinx roles (``:func:`name```) as code, not as raw text.

The docstrings are read by ``help()``, doctest and the site alike; on the site a role such as
``:class:`~disruption.engine.engine.Engine``` renders as the code ``Engine`` (the ``~`` keeps
the last part only, as in Sphinx).
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:func|class|meth|mod|attr|exc|data|obj):<code>(~?)([^<]*)</code>")


def _code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def strip_roles(html: str) -> str:
    """Replace each rendered Sphinx role by the code it names.

    >>> strip_roles(
    ...     "see :class:<code>~disruption.engine.engine.Engine</code>, :mod:<code>json</code>"
    ... )
    'see <code>Engine</code>, <code>json</code>'
    """
    return ROLE.sub(_code, html)


def on_page_content(html: str, **kwargs: Any) -> str:
    """MkDocs event: every page's HTML, API reference included."""
    return strip_roles(html)
