"""The digest's trend, counts, snoozes and grouping, read back from its HTML and checked
against numbers recomputed from the ledger rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from html_tree import Node, money, parse
from trend_week import (
    END,
    LONG_PROBLEM,
    LONG_TEAM,
    MON,
    MONDAYS,
    NOW,
    TrendLedger,
    build_trend_ledger,
    expected_saved,
    expected_snoozes,
)

from functions.jobs.digest import Digest, DigestSettings, Rendered, Window, compose, write_preview
from functions.jobs.digest_names import ledger_link
from ledger.book import read_records
from ledger.verify import verify


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> TrendLedger:
    return build_trend_ledger(tmp_path_factory.mktemp("trend") / "ledger")


@pytest.fixture(scope="module")
def digest(ledger: TrendLedger) -> Digest:
    settings = DigestSettings(ledger=str(ledger.root))
    return compose(ledger.store, Window(MON, END, "UTC", NOW), settings)


@pytest.fixture(scope="module")
def fleet(digest: Digest) -> Node:
    return parse(digest.overall.html)


def team(digest: Digest, name: str) -> Rendered:
    return next(t for t in digest.teams if t.team == name)


def test_week_over_week_matches_the_ledger(ledger: TrendLedger, fleet: Node) -> None:
    weeks = fleet.all("tr", cls="trend-week")
    assert [w.attrs["data-week"] for w in weeks] == [m.isoformat() for m in MONDAYS]
    shown = [money(w.one("td", cls="trend-saved").text) for w in weeks]
    expected = [
        expected_saved(ledger.rows, m, m + timedelta(days=7))
        for m in (MON - timedelta(weeks=k) for k in range(4, -1, -1))
    ]
    assert shown == pytest.approx(expected, abs=0.005)
    assert shown == pytest.approx([5.5, 10.0, 10.0, 12.0, 35.0])  # by hand, as a cross-check
    assert money(fleet.by_id("total-saved").text) == pytest.approx(shown[-1])
    assert weeks[-1].text.startswith("this week")
    bars = [int(w.one("table").attrs["width"].rstrip("%")) for w in weeks]
    assert bars == [round(100 * v / max(shown)) for v in shown]  # bars to scale


def test_month_to_date_counts_november_only(ledger: TrendLedger, fleet: Node) -> None:
    november = MON.replace(day=1)
    assert money(fleet.by_id("month-to-date").text) == pytest.approx(
        expected_saved(ledger.rows, november, END)
    )
    assert "November 2026 so far" in fleet.text


def test_counts_of_actions_failures_and_snoozes(fleet: Node) -> None:
    # Stops and starts done this week, once each however many run objects repeat them.
    assert fleet.by_id("count-actions").text == "7"
    assert fleet.by_id("count-failures").text == "1"
    assert fleet.by_id("count-snoozes").text == "3 times"


def test_snoozes_are_a_cost_per_team_and_never_savings(
    ledger: TrendLedger, digest: Digest, fleet: Node
) -> None:
    count, cost = expected_snoozes(ledger.rows)
    assert (count, cost) == (3, pytest.approx(5.0))
    assert money(fleet.by_id("snooze-cost").text) == pytest.approx(cost)
    rows = {
        r.all("td")[0].attrs["title"]: (int(r.all("td")[1].text), money(r.all("td")[3].text))
        for r in fleet.all("tr", cls="snooze-row")
    }
    for name in ("Web", "Équipe données"):
        n, c = expected_snoozes(ledger.rows, name)
        assert rows[name] == (n, pytest.approx(c))
    web = parse(team(digest, "Web").html)
    assert web.by_id("snooze-line").text == "Kept running by request: 2 times, $3.00."
    assert "Kept running by request: 2 times, $3.00" in team(digest, "Web").text
    # Savings exclude the snoozed hours entirely (the ledger's booked off time only).
    assert digest.overall.report.totals.saved == pytest.approx(
        expected_saved(ledger.rows, MON, END)
    )


def test_spellings_of_one_schedule_are_one_row(ledger: TrendLedger, fleet: Node) -> None:
    table = fleet.one("table", cls="group", data_dimension="schedule")
    rows = {
        r.one("span", cls="group-name").text: money(r.one("td", cls="group-saved").text)
        for r in table.all("tr", cls="group-row")
    }
    # office-hours, its inline, label-safe and Custodian spellings: one row.
    assert rows == {"office-hours": 32.0, "extended-hours": 3.0, "(none)": 0.0}


def test_long_tag_values_and_parser_messages_are_shortened(
    ledger: TrendLedger, fleet: Node
) -> None:
    team_table = fleet.one("table", cls="group", data_dimension="tag:team")
    names = [r.one("span", cls="group-name").text for r in team_table.all("tr", cls="group-row")]
    long_name = next(n for n in names if n.startswith("platform-"))
    assert len(long_name) <= 36 and long_name.endswith("\u2026")
    problem = fleet.one("td", cls="problem")
    assert len(problem.text) <= 80 and problem.text.endswith("\u2026")
    assert problem.attrs["title"] == LONG_PROBLEM  # the whole message on hover
    # The ledger keeps every word.
    since, until = MON.date(), END.date()
    reasons = [r["x_Reason"] for r in read_records(ledger.store, since, until)]
    assert LONG_PROBLEM in reasons
    assert any(r["Tags"].get("team") == LONG_TEAM for r in read_records(ledger.store, since, until))


def test_team_files_keep_letters_and_never_collide(digest: Digest, tmp_path: Path) -> None:
    paths = write_preview(digest, tmp_path / "digest.html")
    html = sorted(p.name for p in paths if p.suffix == ".html")
    teams = {t.team for t in digest.teams}
    assert {"Web", "web", "Équipe données", LONG_TEAM} <= teams
    assert len(html) == len(teams) + 1  # no team overwrote another's file
    assert "digest-team-web.html" in html
    assert any(n.startswith("digest-team-web-") for n in html)  # "Web"
    assert any(n.startswith("digest-team-équipe-données-") for n in html)
    assert len({n.casefold() for n in html}) == len(html)  # distinct on any file system
    assert all(len(n.encode()) < 255 for n in html)
    by_file = {p.name: p.read_text(encoding="utf-8") for p in paths if p.suffix == ".html"}
    web_upper = next(v for k, v in by_file.items() if k.startswith("digest-team-web-"))
    assert "Team Web:" in web_upper and "box-i-b" not in web_upper


def test_ledger_link_names_the_location(ledger: TrendLedger, fleet: Node) -> None:
    link = fleet.by_id("ledger").one("a")
    assert link.attrs["href"] == (ledger.root / "ledger" / "v1").resolve().as_uri()
    assert link.text.endswith("ledger/v1")


@pytest.mark.parametrize(
    ("location", "text", "href"),
    [
        (
            "s3://acme-finops/offhours",
            "s3://acme-finops/offhours/ledger/v1/",
            "https://s3.console.aws.amazon.com/s3/buckets/acme-finops?prefix=offhours/ledger/v1/",
        ),
        (
            "gs://acme-ledger",
            "gs://acme-ledger/ledger/v1/",
            "https://console.cloud.google.com/storage/browser/acme-ledger/ledger/v1/",
        ),
        ("azblob://acct/ledger/offhours", "azblob://acct/ledger/offhours/ledger/v1/", ""),
    ],
)
def test_ledger_links_for_each_store(location: str, text: str, href: str) -> None:
    assert ledger_link(location) == (text, href)


def test_ledger_verify_does_not_mistake_snoozes_for_doubled_off_time(
    ledger: TrendLedger,
) -> None:
    problems = verify(ledger.store).problems
    # The two retried copies are reported (one booking, one snooze); a snooze never
    # overlaps the off time of its resource.
    assert len(problems) == 2, problems
    assert sum("kept running by request" in p for p in problems) == 1


def empty_digests(tmp_path: Path) -> Iterator[tuple[str, Digest]]:
    """A week with nothing saved after weeks that saved; and five empty weeks."""
    for name, rows in (
        ("quiet", build_trend_ledger(tmp_path / "all").rows[:5]),
        ("empty", []),
    ):
        from ledger_rows import write_rows

        from providers.store import LocalStore

        store = LocalStore(tmp_path / name)
        write_rows(store, rows)
        yield name, compose(store, Window(MON, END, "UTC", NOW), DigestSettings())


def test_an_empty_week_says_so_in_words(tmp_path: Path) -> None:
    digests = dict(empty_digests(tmp_path))
    quiet = parse(digests["quiet"].overall.html)
    assert not quiet.all("table", id="daily-chart")  # no chart of empty bars
    assert "Nothing was saved this week" in quiet.by_id("week-empty").text
    assert [money(c.text) for c in quiet.all("td", cls="trend-saved")][-1] == 0.0
    assert "nothing" in quiet.all("tr", cls="trend-week")[-1].text
    empty = parse(digests["empty"].overall.html)
    assert "Nothing was saved in this week or the four before it" in empty.by_id("trend-empty").text
    assert not empty.all("img") and not empty.all("tr", cls="trend-week")
    assert "Nothing was saved this week" in digests["empty"].overall.text


def test_custom_catalog_names_a_schedule_row(ledger: TrendLedger, tmp_path: Path) -> None:
    (tmp_path / "night.yaml").write_text(
        "schedules:\n"
        "  - name: late-shift\n"
        "    periods:\n"
        "      - days: mon-fri\n"
        "        start: '07:00'\n"
        "        stop: '22:00'\n"
    )
    flags = {"catalog": [str(tmp_path)], "ledger": str(ledger.root)}
    settings = DigestSettings.from_sources(flags, {})
    assert settings.catalog == (str(tmp_path),)
    digest = compose(ledger.store, Window(MON, END, "UTC", NOW), settings)
    rows = dict(next(rows for name, rows in digest.overall.report.groups if name == "schedule"))
    # extended-hours is Mon-Fri 07:00-22:00 too: the bundled name comes first.
    assert set(rows) == {"office-hours", "extended-hours", "(none)"}
