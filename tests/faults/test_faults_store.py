"""The fault suite: the store failing, or holding damaged objects.

The real ``offhours run`` against moto through a fault-injecting proxy.

Each scenario injects its fault, runs clean until Monday in office hours, and is held
to the five invariants of tests/faults/README.md.
"""

from __future__ import annotations

import re
from typing import Any

import kit
from kit import MONDAY, assert_invariants, at, expect, judge
from proxy import Rule, unavailable
from scenario import END, STOP, close


# -- the store failing ---------------------------------------------------------------------
def test_every_store_write_failing_for_one_run(world: Any) -> None:
    """The fleet stopped and nothing recorded: the run must say it failed, and the next
    runs must still book the night."""
    w = world()
    failed = w.run(STOP, Rule("s3", "error", operation="PUT", times=1000))
    close(w)
    assert_invariants(judge(w, END), {"exit": expect(failed.code == 1, f"exit {failed.code}")})


def test_store_down_for_one_run(world: Any) -> None:
    w = world()
    down = w.run(STOP, unavailable("s3", times=1000))
    close(w)
    assert_invariants(
        judge(w, END),
        {
            "exit": expect(down.code == 1, f"exit {down.code}"),
            "traceback": expect("Traceback" not in down.text, down.text[-1500:]),
        },
    )


def test_only_ledger_writes_failing(world: Any) -> None:
    w = world()
    failed = w.run(STOP, Rule("s3", "error", operation="PUT", key="*/ledger/*", times=1000))
    close(w)
    assert_invariants(
        judge(w, END),
        {
            "exit": expect(failed.code == 1, f"exit {failed.code}"),
            "summary": expect(
                "nothing to do" not in failed.out and "29 stop done" in failed.out,
                "it stopped 29 and said: " + failed.out.strip().splitlines()[-1],
            ),
        },
    )


# -- corrupt objects -----------------------------------------------------------------------
def test_empty_state_object(world: Any) -> None:
    """A state object of ``{}``: kept aside, reported, and the night still booked."""
    w = world()
    w.run(STOP)
    w.put_raw(w.state_key(), b"{}")
    morning = w.run(at(MONDAY, "08:30"))
    close(w, [at(MONDAY, "09:00")])
    aside = [k for k in w.state_keys() if "corrupt" in k]
    kept = [w.s3.get_object(Bucket=w.bucket, Key=k)["Body"].read() for k in aside]
    assert_invariants(
        judge(w, END),
        {
            "report": expect(
                re.search(r"state object .* unreadable", morning.text) is not None,
                "accepted silently: " + morning.out.strip().splitlines()[-1],
            ),
            "kept aside": expect(b"{}" in kept, f"no corrupt copy among {w.state_keys()}"),
        },
    )


def test_truncated_ledger_object(world: Any, tmp_path: Any) -> None:
    """Every reader names the object it cannot read, exits non-zero, shows no traceback."""
    w = world()
    w.run(STOP)
    close(w)
    key = min(w.objects())  # Friday's object: the stop rows
    data = w.objects()[key]
    w.put_raw(key, data[: len(data) // 2])
    w.damaged.add(key)
    name = key.rsplit("/", 1)[1]
    window = ("--ledger", w.ledger)
    span = ("--from", "2026-11-20", "--to", "2026-11-30")
    commands = {
        "ledger show": ("ledger", "show", "--since", "2026-11-20", *window),
        "ledger export": ("ledger", "export", *span, *window),
        "digest": (
            "digest", "--week", "2026-W48", "--preview", str(tmp_path / "digest.html"),
            "--at", END.isoformat(), *window,
        ),
    }  # fmt: skip
    if kit.has_verify(w):
        commands["ledger verify"] = ("ledger", "verify", *window)
    checks = {}
    for label, args in commands.items():
        done = w.cli(*args)
        text = done.stdout + done.stderr
        checks[label] = expect(
            done.returncode != 0 and name in text and "Traceback" not in text,
            f"exit {done.returncode}, object named: {name in text}, "
            f"traceback: {'Traceback' in text}: {text.strip()[-300:]}",
        )
    # The ledger is broken on purpose: ``ledger verify`` must fail (checked above).
    assert_invariants(judge(w, END, verify_ledger=False), checks)
