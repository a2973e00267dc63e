"""The rendered digest carries the ledger's numbers, for the fleet and for each team."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from digest_week import MON, NOW, Week
from html_tree import money as amount
from html_tree import parse

from functions.jobs.digest import (
    DigestSettings,
    Window,
    compose,
    office_hours_per_week,
    parse_week,
    previous_week,
    render_digest,
    week_window,
)
from ledger.summary import window_summary

END = MON + timedelta(days=7)


def money(value: float) -> str:
    return f"${value:,.2f}"


def test_totals_match_the_ledger_by_independent_sums(week: Week) -> None:
    items = window_summary(week.store, MON, END)
    assert sum(i.saved for i in items) == pytest.approx(week.saved)
    digest = compose(week.store, Window(MON, END, "UTC", NOW), DigestSettings())
    totals = digest.overall.report.totals
    assert totals.saved == pytest.approx(week.saved)
    assert totals.would == pytest.approx(week.would)
    assert totals.did == pytest.approx(week.did)
    assert totals.unpriced == 1


def test_html_and_text_show_the_ledger_totals(week: Week, tmp_path: Path) -> None:
    paths = render_digest(week.store, MON, END, tmp_path, now=NOW)
    assert tmp_path / "digest.html" in paths
    html = (tmp_path / "digest.html").read_text()
    text = (tmp_path / "digest.txt").read_text()
    for body in (html, text):
        assert money(week.saved) in body
        assert money(week.would) in body
        assert money(week.did) in body
        assert week.percent in body
        assert money(week.web_saved) in body and money(week.ml_saved) in body
        assert "dev-untagged" in body  # the opportunity
        assert "mon-fry 9-5" in body  # the problem, escaped or not
    saved_cell = re.search(r'id="total-saved"[^>]*>([^<]+)<', html)
    assert saved_cell and saved_cell.group(1) == money(week.saved)
    assert not list(tmp_path.glob("*.png"))  # the chart is HTML bars: no image to write


def test_the_daily_chart_is_html_bars_with_each_clouds_share(week: Week, tmp_path: Path) -> None:
    """Per UTC day, by hand: dev-web (aws, $0.50/h) 5 h on Monday, 13 h Tuesday to Friday,
    24 h at the weekend; trainer (gcp, $2/h) 6 h on Tuesday and 24 h each weekend day;
    vm-data's hours have no price, so azure saves nothing and gets no cell."""
    render_digest(week.store, MON, END, tmp_path, now=NOW)
    chart = parse((tmp_path / "digest.html").read_text()).by_id("daily-chart")
    days = chart.all("tr", cls="day-bar")
    assert [d.attrs["data-day"] for d in days] == [
        (MON + timedelta(days=i)).date().isoformat() for i in range(7)
    ]
    saved = [amount(d.one("td", cls="day-saved").text) for d in days]
    assert saved == pytest.approx([2.5, 18.5, 6.5, 6.5, 6.5, 60.0, 60.0])
    assert sum(saved) == pytest.approx(week.saved)

    def cells(day: int) -> list[tuple[str, str, str]]:
        found = days[day].all("td", cls="day-segment")
        return [(c.attrs["data-cloud"], c.attrs["width"], c.attrs["title"]) for c in found]

    def bar(day: int) -> str:
        return days[day].all("table")[0].attrs["width"]

    # Bars are shares of the best day ($60); a day's cells add up to its whole bar.
    assert (bar(0), bar(1), bar(5)) == ("4%", "31%", "100%")
    assert cells(0) == [("aws", "100%", "aws $2.50")]
    assert cells(1) == [("aws", "35%", "aws $6.50"), ("gcp", "65%", "gcp $12.00")]
    assert cells(5) == [("aws", "20%", "aws $12.00"), ("gcp", "80%", "gcp $48.00")]
    colours = {
        c.attrs["data-cloud"]: c.attrs["bgcolor"]
        for d in days
        for c in d.all("td", cls="day-segment")
    }
    assert colours == {"aws": "#b85000", "gcp": "#007a5a"}
    text = (tmp_path / "digest.txt").read_text()
    assert "Tue 24 Nov  aws $6.50  azure $0.00  gcp $12.00" in text


def test_each_team_gets_its_own_numbers(week: Week, tmp_path: Path) -> None:
    render_digest(week.store, MON, END, tmp_path, now=NOW)
    web = (tmp_path / "digest-team-web.txt").read_text()
    assert f"Saved:            {money(week.web_saved)} (62.5%)" in web
    assert money(week.web_would) in web
    assert "trainer" not in web
    assert "dev-untagged" in web
    weekly = round(0.1 * (168 - office_hours_per_week()), 2)
    assert money(weekly) in web
    ml = (tmp_path / "digest-team-ml.html").read_text()
    assert money(week.ml_saved) in ml and "dev-web" not in ml
    data = (tmp_path / "digest-team-data.txt").read_text()
    assert "Needs a fix" in data and "i-typo" in data


def test_html_is_mail_client_safe(week: Week) -> None:
    window = Window(MON, END, "UTC", NOW)
    digest = compose(week.store, window, DigestSettings())
    for item in [digest.overall, *digest.teams]:
        html = item.html.lower()
        assert "<script" not in html and "<style" not in html and "<link" not in html
        # Day bars when there is money to chart (data's 12 h have no price: words
        # instead); never an image a client could block.
        assert "<img" not in html
        charted = bool(parse(item.html).all("table", id="daily-chart"))
        assert charted == (item.report.totals.saved > 0)
        assert "&lt;" not in item.text  # the text part is not HTML-escaped
        assert "'mon-fry" not in html  # quotes from tags are escaped in HTML


def test_weeks_parse_and_the_default_is_the_last_complete_week() -> None:
    assert parse_week("2026-W48").isoformat() == "2026-11-23"
    assert parse_week("2026-11-26").isoformat() == "2026-11-23"
    assert previous_week(NOW, "UTC") == "2026-W48"
    start, end = week_window(parse_week("2026-W13"), "Europe/London")
    assert end.timestamp() - start.timestamp() == (7 * 24 - 1) * 3600  # DST starts that week


def test_a_target_no_run_has_looked_at_lately_is_named(week: Week) -> None:
    """Issue 26: what a target claims stops at its last run, and the digest says so."""
    fresh = compose(week.store, Window(MON, END, "UTC", NOW), DigestSettings())
    assert "no run since" not in fresh.overall.text
    # The next week, read on Wednesday: the gcp target's last run was Monday 07:00.
    late = Window(END, END + timedelta(days=7), "UTC", END + timedelta(days=2))
    text = compose(week.store, late, DigestSettings()).overall.text
    line = "gcp/proj-ml/europe-west4: no run since Mon 30 Nov 07:00 UTC: nothing claimed after that"
    assert line in text
    # Two run intervals are the threshold: a daily run is not late after a day.
    daily = DigestSettings(run_interval_minutes=24 * 60)
    assert "no run since" not in compose(week.store, late, daily).overall.text
