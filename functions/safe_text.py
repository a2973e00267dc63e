"""Tag and name values made safe for the place they are shown (notices, the digest's
subject, the command line's tables). Pure.

A name or tag comes from whoever may tag a resource: it may hold line breaks (which end
a mail header), bidirectional or zero-width controls (which hide what a reader sees),
Slack's ``<!channel>`` syntax or Markdown links (which Teams renders as live links).
Each channel shows the text, never acts on it.
"""

from __future__ import annotations

import unicodedata

# Unicode categories that never belong in one line of text: controls (CR, LF, ESC, …),
# line and paragraph separators; format characters (zero-width, bidi overrides) are
# dropped rather than shown as spaces.
_AS_SPACE = frozenset({"Cc", "Zl", "Zp"})
_DROPPED = frozenset({"Cf", "Cs", "Co", "Cn"})


def one_line(text: str, limit: int = 200) -> str:
    """``text`` as one printable line of at most ``limit`` characters."""
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if category in _DROPPED:
            continue
        out.append(" " if category in _AS_SPACE else char)
    line = " ".join("".join(out).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def is_one_line(text: str) -> bool:
    """Whether ``text`` is shown as it is (nothing in it is replaced or dropped)."""
    return one_line(text, limit=len(text) + 1) == text


def slack(text: str) -> str:
    """For Slack ``mrkdwn`` and a message's top-level ``text``: Slack documents ``&``,
    ``<`` and ``>`` as the three characters to escape; with them escaped no
    ``<!channel>``, ``<@user>`` or ``<url|label>`` can be formed."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
