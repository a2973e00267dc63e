"""The weekly digest job: ledger -> savings per team -> HTML (bars, no images) + text -> email.

``run_digest`` is what the CLI and the Lambda handler call; ``render_digest`` writes the
fleet-wide digest to a folder (``offhours demo`` uses it). The ledger is streamed once
(``ledger.summary``); the arithmetic and the grouping are pure (``ledger.savings``,
``ledger.showback``); this module only reads, renders and sends.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.jobs.digest_bill import bill_line
from functions.jobs.digest_chart import DayBar, bar_width, daily_bars
from functions.jobs.digest_names import ledger_link, shorten, team_stems
from functions.jobs.digest_schedules import name_of, schedule_names
from functions.jobs.run_calls import own_cost_line
from functions.mail import Recipients, Sender, build_message, send_errors
from functions.settings import ConfigError, Sourced, convert_fields, digest_sources
from ledger import showback
from ledger.book import Loads
from ledger.inventory import InventoryItem, Opportunity, find_opportunities, read_inventory
from ledger.inventory import load_inventory_file as _load_inventory_file
from ledger.observed import describe, last_observed, unobserved
from ledger.savings import Days, segments
from ledger.showback import Showback, Trend
from ledger.summary import ResourceSavings, window_summary
from providers.store import ObjectStore
from schedules.protected import DEFAULT_TEXT as DEFAULT_PROTECTED
from schedules.protected import ProtectedTags, ProtectedTagsError

DEFAULT_DIMENSIONS = ("provider", "account", "kind", "schedule")
OFFICE_HOURS_FALLBACK = 50.0  # Mon-Fri 08:00-18:00, when the schedule catalog is missing
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
TREND_WEEKS = 4  # weeks shown before the reported one
# One colour per cloud, told apart by hue (from the Okabe-Ito colour-blind-safe set,
# darkened) and at least 3:1 against white (WCAG 1.4.11 for graphics): tests check both.
PROVIDER_COLOURS = {"aws": "#b85000", "gcp": "#007a5a", "azure": "#1f5fbf"}
OTHER_COLOUR = "#8a4f9e"


class DigestError(ConfigError):
    """A setting or argument of the digest is wrong; the message says which."""


@dataclass(frozen=True)
class DigestSettings:
    """Settings of the digest job: flag > ``OFFHOURS_DIGEST_<NAME>`` > default; the
    environment names are in ``functions/settings.py`` (``digest_sources``): what the digest
    shares with the run falls back to the run's variable (``OFFHOURS_LEDGER``, ...), and
    how mail leaves (SES region, SMTP server) is the run's own ``OFFHOURS_SES_REGION`` /
    ``OFFHOURS_SMTP_*``, one name for the notices and the digest."""

    ledger: str = "./offhours-ledger"
    store_endpoint_url: str = ""
    tz: str = "UTC"
    team_key: str = "team"
    owner_key: str = "owner"
    group_tags: tuple[str, ...] = ("team", "project", "cost-center", "owner")
    schedule_key: str = "schedule"
    # The scheduler's protected set (``OFFHOURS_PROTECTED``): never offered as opportunities.
    protected: str = ""
    opportunity_schedule: str = "office-hours"
    recipients: str = ""  # YAML mapping file (functions/mail.py: Recipients)
    to: tuple[str, ...] = ()  # overall digest recipients when the file names none
    sender: str = "offhours@example.com"
    transport: str = "ses"  # ses | smtp
    ses_region: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    inventory: str = ""  # JSON inventory file; default: the snapshots in the ledger store
    top: int = 10
    catalog: tuple[str, ...] = ()  # schedule catalog directories besides the bundled one
    # A FOCUS cost export: the digest says how much of the claim it confirms (digest_bill.py).
    bill: str = ""
    # The scheduling run's interval: a target with no run for two of them is named.
    run_interval_minutes: int = 15

    @classmethod
    def from_sources(
        cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> DigestSettings:
        return cls._coerce(digest_sources([f.name for f in fields(cls)], flags or {}, env or {}))

    @classmethod
    def _coerce(cls, raw: Sourced) -> DigestSettings:
        with raw.naming_sources():
            settings = cls(**convert_fields(cls, raw.values))
            try:
                zone(settings.tz)
            except DigestError as err:
                raise DigestError(f"digest setting tz: {err}", "tz") from err
            settings.protected_tags()
            if settings.transport not in ("ses", "smtp"):
                raise DigestError(
                    f"digest transport {settings.transport!r}: use ses or smtp", "transport"
                )
        return settings

    def protected_tags(self) -> ProtectedTags:
        try:
            return ProtectedTags.parse(self.protected.strip() or DEFAULT_PROTECTED)
        except ProtectedTagsError as err:
            raise DigestError(f"digest setting protected: {err}", "protected") from err


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise DigestError(f"unknown time zone {name!r}") from err


# ---- the week ---------------------------------------------------------------------------


def parse_week(text: str) -> date:
    """``2026-W48`` (ISO week) or any date in the week -> its Monday."""
    match = _WEEK.match(text.strip())
    try:
        if match:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        day = date.fromisoformat(text.strip())
    except ValueError as err:
        raise DigestError(f"week {text!r}: use an ISO week like 2026-W48") from err
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_window(monday: date, tz: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time in ``tz``."""
    local = zone(tz)
    start = datetime.combine(monday, time(), local)
    return start, datetime.combine(monday + timedelta(days=7), time(), local)


def previous_week(now: datetime, tz: str) -> str:
    """The last complete week before ``now`` (what a Monday-morning trigger reports)."""
    today = now.astimezone(zone(tz)).date()
    return week_label(today - timedelta(days=today.weekday() + 7))


# ---- opportunities ----------------------------------------------------------------------


def office_hours_per_week(spec: str = "office-hours") -> float:
    """Running hours per week of a catalog schedule; a fixed 50 h when the schedule
    catalog is not available in this build."""
    try:
        import schedules

        catalog = schedules.load_catalog()
        return float(schedules.running_hours_per_week(catalog.resolve(spec)))
    except (ImportError, AttributeError, LookupError, ValueError):
        return OFFICE_HOURS_FALLBACK


def inventory_resources(store: ObjectStore, path: str = "") -> list[InventoryItem]:
    snapshots = _load_inventory_file(Path(path)) if path else list(read_inventory(store))
    return [r for s in snapshots for r in s.resources]


# ---- rendering --------------------------------------------------------------------------


def _money(currency: str) -> Callable[[float | None], str]:
    def fmt(value: float | None) -> str:
        if value is None:
            return "unknown"
        return f"${value:,.2f}" if currency == "USD" else f"{value:,.2f} {currency}"

    return fmt


@functools.lru_cache(maxsize=4)
def _environment(currency: str) -> Any:
    """One environment per currency: templates compile once per process, not per team."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("functions.jobs", "templates"),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    money = _money(currency)
    env.filters["money"] = money
    env.filters["pct"] = lambda v: f"{v:.1f}%"
    env.filters["hours"] = lambda v: f"{v:,.1f}"
    env.filters["rate"] = lambda v: "unknown" if v is None else _rate(v, currency)
    env.filters["dimension"] = _dimension_label
    env.filters["short"] = shorten
    env.filters["colour"] = lambda provider: PROVIDER_COLOURS.get(provider, OTHER_COLOUR)
    env.filters["times"] = lambda n: "1 time" if n == 1 else f"{n:,} times"
    env.filters["bar"] = bar_width
    return env


def _rate(value: float, currency: str) -> str:
    return f"${value:,.4f}/h" if currency == "USD" else f"{value:,.4f} {currency}/h"


def _dimension_label(name: str) -> str:
    if name.startswith("tag:"):
        return name[4:]
    return {"account": "account / project / subscription"}.get(name, name)


@dataclass
class Rendered:
    team: str | None
    subject: str
    html: str
    text: str
    report: Showback
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    tz: str
    now: datetime
    # "<target>: no run since …: nothing claimed after that", one per stale target.
    unobserved: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return week_label(self.start.date())

    @property
    def period(self) -> str:
        last = (self.end - timedelta(days=1)).date()
        return f"{self.label}: {self.start:%a %d %b} - {last:%a %d %b %Y} ({self.tz})"

    @property
    def accrued_until(self) -> datetime:
        # Compare instants, not wall clocks (same-zone datetimes compare naively).
        return self.end if self.end.timestamp() <= self.now.timestamp() else self.now

    @property
    def hours(self) -> float:
        """Elapsed hours of the window so far (a DST week has 167 or 169)."""
        return max(0.0, (self.accrued_until.timestamp() - self.start.timestamp()) / 3600)

    @property
    def mondays(self) -> list[date]:
        """The first days of the trend's weeks, oldest first; the last is this window's."""
        first = self.start.astimezone(zone(self.tz)).date()
        return [first - timedelta(weeks=k) for k in range(TREND_WEEKS, -1, -1)]

    @property
    def month_start(self) -> date:
        """The month to date is the month of the window's last day, up to the window's end."""
        return (self.end - timedelta(days=1)).astimezone(zone(self.tz)).date().replace(day=1)

    def history(self) -> Days:
        local = zone(self.tz)
        bounds = [datetime.combine(d, time(), local) for d in [*self.mondays, self.month_start]]
        return segments([*bounds, self.end], self.tz)


def render_report(
    report: Showback,
    window: Window,
    settings: DigestSettings,
    chart: Sequence[DayBar],
    bill: str = "",
    own_cost: str = "",
) -> tuple[str, str]:
    """HTML and text; ``chart`` is the daily bars (none when the week saved nothing, and
    the template says so in words)."""
    env = _environment(report.currency)
    warnings = []
    if len(report.currencies) > 1:
        warnings.append(f"prices in several currencies ({', '.join(report.currencies)}) are added")
    warnings.extend(window.unobserved)
    context = {
        "report": report,
        "subject": report.title,
        "period": window.period,
        "tz": window.tz,
        "chart": chart,
        "warnings": warnings,
        "schedule_key": settings.schedule_key,
        "opportunity_schedule": settings.opportunity_schedule,
        "opportunity_hours": report.opportunities[0].weekly_hours_saved
        if report.opportunities
        else 0.0,
        "accrued_until": f"{window.accrued_until.astimezone(zone(window.tz)):%a %d %b %H:%M}",
        "ledger": ledger_link(settings.ledger),
        "team_key": settings.team_key,
        "month": f"{window.month_start:%B %Y}",
        "bill": bill,
        "own_cost": own_cost,
    }
    html = env.get_template("digest.html.j2").render(context)
    text = env.get_template("digest.txt.j2").render(context)
    return html, text


# ---- composing ----------------------------------------------------------------------------


@dataclass
class Digest:
    window: Window
    overall: Rendered
    teams: list[Rendered] = field(default_factory=list)
    rows: int = 0


def _dimensions(settings: DigestSettings, items: Sequence[ResourceSavings]) -> list[str]:
    used = {k for i in items for k in i.tags}
    tags = [f"tag:{k}" for k in settings.group_tags if k in used]
    return [*DEFAULT_DIMENSIONS, *tags]


def compose(
    store: ObjectStore,
    window: Window,
    settings: DigestSettings,
    recipients: Recipients | None = None,
    inventory: Sequence[InventoryItem] | None = None,
) -> Digest:
    history = window.history()
    items = _read_ledger(store, window, settings, history)
    window = _with_unobserved(store, window, settings)
    names = schedule_names((i.schedule for i in items), _catalog(settings))

    def schedule_of(item: ResourceSavings) -> str:
        return name_of(names, item.schedule)

    def trend_of(members: Sequence[ResourceSavings]) -> Trend:
        return showback.trend(members, history.labels, window.mondays, window.month_start)

    days = _days(window)
    hours = window.hours
    opportunities = _opportunities(store, settings, inventory)
    recipients = recipients or Recipients()
    dims = _dimensions(settings, items)
    overall = showback.build(
        f"Fleet savings {window.label}",
        items,
        days,
        hours,
        dims,
        opportunities,
        settings.top,
        schedule_of=schedule_of,
        history=trend_of(items),
        snooze_key=showback.dimension(f"tag:{settings.team_key}"),
    )
    bill = bill_line(store, settings.bill, window.start, window.end, settings.store_endpoint_url)
    own = own_cost_line(store, window.start, window.end)
    fleet_to = recipients.overall or settings.to
    rendered = _render(overall, window, settings, None, fleet_to, bill, own)
    teams: list[Rendered] = []
    team_dims = [d for d in dims if d != f"tag:{settings.team_key}"]
    for team, members in showback.split_by_tag(items, settings.team_key).items():
        if not any(m.active for m in members):
            continue
        mine = [o for o in opportunities if _team_of(o, settings.team_key) == team]
        report = showback.build(
            f"Team {team}: savings {window.label}",
            members,
            days,
            hours,
            team_dims,
            mine,
            settings.top,
            schedule_of=schedule_of,
            history=trend_of(members),
        )
        owners = [str(m.tags.get(settings.owner_key, "")) for m in members]
        teams.append(_render(report, window, settings, team, recipients.for_team(team, owners)))
    return Digest(window, rendered, teams)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The ledger pass makes a million short-lived rows and no reference cycles: the
    cycle collector would only walk the growing per-resource state again and again
    (about a second of CPU in a million rows), and refcounting frees every row anyway."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def json_loads() -> Loads | None:
    """orjson's parser when installed (the ``digest`` extra brings it): it reads a week's
    ledger in half the CPU of the standard library's, which ``decode`` uses otherwise."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson.loads


def _read_ledger(
    store: ObjectStore, window: Window, settings: DigestSettings, history: Days
) -> list[ResourceSavings]:
    """Each resource's savings in the window and the trend's weeks: one pass over the
    ledger, keeping only the tags the digest groups and addresses by."""
    keep = {settings.team_key, settings.owner_key, *settings.group_tags}
    with _no_cycle_collection():
        return window_summary(
            store, window.start, window.end, window.tz, keep, history=history, loads=json_loads()
        )


def _opportunities(
    store: ObjectStore, settings: DigestSettings, inventory: Sequence[InventoryItem] | None
) -> list[Opportunity]:
    resources = inventory if inventory is not None else inventory_resources(store)
    return find_opportunities(
        resources,
        office_hours_per_week(settings.opportunity_schedule),
        settings.schedule_key,
        settings.protected_tags(),
    )


def _with_unobserved(store: ObjectStore, window: Window, settings: DigestSettings) -> Window:
    """Name the targets no run looked at in the window's last two run intervals: what
    they claim stops at their last run."""
    at = window.accrued_until
    late = unobserved(last_observed(store), at, timedelta(minutes=settings.run_interval_minutes))
    return replace(window, unobserved=tuple(describe(o, window.tz) for o in late))


def _catalog(settings: DigestSettings) -> Any:
    import schedules

    try:
        return schedules.load_catalog(list(settings.catalog), default_tz=settings.tz)
    except (OSError, ValueError) as err:
        raise DigestError(f"schedule catalog: {err}") from err


def _team_of(opportunity: Opportunity, key: str) -> str:
    return str(opportunity.resource.tags.get(key) or showback.UNSET)


def _days(window: Window) -> list[date]:
    from ledger.savings import reporting_days

    return list(reporting_days(window.start, window.end, window.tz).labels)


def _render(
    report: Showback,
    window: Window,
    settings: DigestSettings,
    team: str | None,
    to: Sequence[str],
    bill: str = "",
    own_cost: str = "",
) -> Rendered:
    chart = daily_bars(report.days, report.daily)
    html, text = render_report(report, window, settings, chart, bill, own_cost)
    saved = _money(report.currency)(report.totals.saved)
    from functions.safe_text import one_line

    # A team is a tag value: one line, or the mail header raises for the whole digest.
    who = f"team {one_line(team)}" if team is not None else "your fleet"
    subject = f"offhours {window.label}: {who} saved {saved}"
    return Rendered(team, subject, html, text, report, tuple(to))


# ---- entry points ---------------------------------------------------------------------------


def write_preview(digest: Digest, html_path: Path) -> list[Path]:
    """The fleet digest as ``<name>.html`` + ``.txt``, and each team's as
    ``<name>-team-<team>.html`` (``digest_names.team_stems``: letters kept, no collisions)."""
    html_path.parent.mkdir(parents=True, exist_ok=True)
    stem = html_path.with_suffix("")
    stems = team_stems(t.team for t in digest.teams if t.team is not None)
    paths: list[Path] = []
    for item in [digest.overall, *digest.teams]:
        suffix = "" if item.team is None else f"-team-{stems[item.team]}"
        target = Path(f"{stem}{suffix}.html")
        target.write_text(item.html, encoding="utf-8")
        Path(f"{stem}{suffix}.txt").write_text(item.text, encoding="utf-8")
        paths.extend([target, Path(f"{stem}{suffix}.txt")])
    return paths


def render_digest(
    store: ObjectStore,
    week_start: datetime,
    week_end: datetime,
    out_dir: Path,
    now: datetime | None = None,
    tz: str = "UTC",
    settings: DigestSettings | None = None,
) -> list[Path]:
    """Write ``out_dir/digest.html`` (+ ``digest.txt``, team files) for
    [week_start, week_end); still-off resources accrue up to ``now`` (default: the end)."""
    # The footer names the ledger this digest was read from (the demo's own directory).
    settings = settings or DigestSettings(tz=tz, ledger=getattr(store, "url", "") or "")
    window = Window(week_start, week_end, tz, now or week_end)
    return write_preview(compose(store, window, settings), out_dir / "digest.html")


@dataclass
class DigestRun:
    week: str
    digest: Digest
    preview: list[Path] = field(default_factory=list)
    sent: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def open_sender(settings: DigestSettings) -> Sender:
    from functions.mail import MailConfig, open_mail_sender

    return open_mail_sender(
        MailConfig(
            transport="smtp" if settings.transport == "smtp" else "ses",
            ses_region=settings.ses_region,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_starttls=settings.smtp_starttls,
            smtp_username=settings.smtp_username,
            smtp_password=settings.smtp_password,
        )
    )


def send_digest(
    digest: Digest, settings: DigestSettings, sender: Sender
) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    errors = send_errors()
    sent: list[tuple[str, tuple[str, ...]]] = []
    skipped: list[str] = []
    for item in [digest.overall, *digest.teams]:
        name = "fleet" if item.team is None else f"team {item.team}"
        if not item.to:
            skipped.append(f"{name}: no recipients (recipients file or {settings.owner_key} tag)")
            continue
        message = build_message(
            item.subject,
            settings.sender,
            item.to,
            item.text,
            item.html,
            date=digest.window.now.timestamp(),
        )
        try:
            sender.send(message)
        except errors as err:
            skipped.append(f"{name}: {err}")
            continue
        sent.append((name, item.to))
    return sent, skipped


def run_digest(
    settings: DigestSettings,
    week: str,
    send: bool,
    preview: Path | None,
    now: datetime | None = None,
    sender: Sender | None = None,
    store: ObjectStore | None = None,
) -> DigestRun:
    from functions.mail import load_recipients
    from functions.wiring import open_store

    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise DigestError("the digest needs a zone-aware now")
    monday = parse_week(week)
    start, end = week_window(monday, settings.tz)
    window = Window(start, end, settings.tz, now)
    store = store or open_store(settings.ledger, settings.store_endpoint_url)
    try:
        recipients = load_recipients(Path(settings.recipients)) if settings.recipients else None
    except ValueError as err:
        raise DigestError(str(err)) from err
    inventory = inventory_resources(store, settings.inventory) if settings.inventory else None
    digest = compose(store, window, settings, recipients, inventory)
    run = DigestRun(week_label(monday), digest)
    if preview is not None:
        run.preview = write_preview(digest, preview)
    if send:
        run.sent, run.skipped = send_digest(digest, settings, sender or open_sender(settings))
    return run
