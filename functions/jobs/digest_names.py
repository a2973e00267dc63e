"""Names the digest shows or writes: team file names, the ledger's location, short cells."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urlparse

MAX_STEM = 60
ELLIPSIS = "\u2026"


def _clean(team: str) -> str:
    """Lowercase letters (any script), digits, ``_`` and ``.``; anything else one ``-``."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", team).casefold():
        keep = char.isalnum() or char in "_."
        if keep:
            out.append(char)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-.")[:MAX_STEM] or "none"


def team_stems(teams: Iterable[str]) -> dict[str, str]:
    """Team -> a file name stem that keeps its letters (``Équipe`` -> ``équipe-…``) and
    never collides with another team's, even on a case-insensitive file system: a name
    that is not already its own clean form gets a short hash of its exact text
    (``web`` -> ``web``, ``Web`` -> ``web-<hash>``)."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for team in sorted(set(teams)):
        clean = _clean(team)
        digest = hashlib.sha256(team.encode("utf-8")).hexdigest()
        length = 0 if clean == team else 6
        stem = clean if length == 0 else f"{clean}-{digest[:length]}"
        while stem.casefold() in taken:  # a clean name another team's hash happens to hit
            length += 2
            stem = f"{clean}-{digest[:length]}"
        taken.add(stem.casefold())
        stems[team] = stem
    return stems


def ledger_link(location: str) -> tuple[str, str]:
    """(text, href) for the ledger's table in the store; href is "" where no browser
    address exists (Azure Blob: the portal has no stable deep link)."""
    parsed = urlparse(location)
    table = "ledger/v1/"
    if parsed.scheme == "s3":
        prefix = "/".join(p for p in (parsed.path.strip("/"), table) if p)
        text = f"s3://{parsed.netloc}/{prefix}"
        href = (
            f"https://s3.console.aws.amazon.com/s3/buckets/{quote(parsed.netloc)}"
            f"?prefix={quote(prefix)}"
        )
        return text, href
    if parsed.scheme == "gs":
        prefix = "/".join(p for p in (parsed.path.strip("/"), table) if p)
        href = f"https://console.cloud.google.com/storage/browser/{quote(parsed.netloc)}/{quote(prefix)}"
        return f"gs://{parsed.netloc}/{prefix}", href
    if parsed.scheme == "azblob":
        return f"{location.rstrip('/')}/{table}", ""
    root = Path(location.removeprefix("file://")).resolve() / table
    return str(root), root.as_uri()


def shorten(text: object, limit: int = 40) -> str:
    """At most ``limit`` characters, cut at a word where one is near (full text stays in
    the ledger)."""
    value = " ".join(str(text).split())
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ELLIPSIS
