"""Team channels from settings: ``team=kind:target`` items, e.g.
``web=slack:https://hooks.slack.com/services/…``, ``ml=teams:https://…``,
``data=json:https://hooks.example.com/offhours``, ``ops=email:ops@example.com``.
A team may have several channels (repeat the team)."""

from __future__ import annotations

from collections.abc import Iterable

from functions.jobs.notices.model import ChannelKind, Recipient
from functions.jobs.notices.planning import valid_address

FORM = "team=KIND:TARGET with KIND one of email, slack, teams, json"


class ChannelError(ValueError):
    """A channel item that cannot be used; the message shows the valid form."""


def parse_channels(items: Iterable[str]) -> dict[str, tuple[Recipient, ...]]:
    found: dict[str, list[Recipient]] = {}
    for item in items:
        team, sep, rest = item.partition("=")
        kind_text, colon, target = rest.partition(":")
        team, target = team.strip(), target.strip()
        if not sep or not colon or not team or not target:
            raise ChannelError(f"{item!r} is not {FORM}")
        try:
            kind = ChannelKind(kind_text.strip().lower())
        except ValueError as err:
            raise ChannelError(f"{item!r}: unknown kind {kind_text!r}; {FORM}") from err
        if kind is ChannelKind.EMAIL and not valid_address(target):
            raise ChannelError(f"{item!r}: {target!r} is not an email address")
        if kind is not ChannelKind.EMAIL and not target.lower().startswith(("https://", "http://")):
            raise ChannelError(f"{item!r}: a {kind.value} webhook must be an http(s) URL")
        recipient = Recipient(kind, target, f"team {team}")
        if recipient not in found.setdefault(team, []):
            found[team].append(recipient)
    return {team: tuple(channels) for team, channels in found.items()}
