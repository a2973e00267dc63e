"""The rooms depend one way (docs/DESIGN's table of rooms): ``functions`` may import
everything; ``providers`` never imports ``ledger``, ``functions`` or ``sandbox``; ``ledger``
knows no cloud and reaches ``providers`` only through the object-store interface
(``providers.store``); ``schedules`` imports no other room.

Every import is found by parsing the source (``ast``), at any depth of the file: inside a
function, under ``if TYPE_CHECKING``, and ``"module:attribute"`` registry strings loaded
at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from runtime_kit import ROOT

ROOMS = ("schedules", "providers", "ledger", "functions", "sandbox")

# room -> the other rooms it may import (modules, or whole rooms).
ALLOWED: dict[str, frozenset[str]] = {
    "schedules": frozenset(),
    "providers": frozenset({"schedules"}),
    # The protected-tags rule is a schedule rule the digest's opportunities honour too.
    "ledger": frozenset({"providers.store", "schedules.protected"}),
}


def imports_of(path: Path) -> set[str]:
    """Every project module ``path`` imports: ``import``, ``from … import`` (absolute; a
    relative import stays in its own package), and registry strings ``"pkg.mod:attr"``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            module, colon, attribute = node.value.partition(":")
            dotted = "." in module and all(p.isidentifier() for p in module.split("."))
            if colon and dotted and attribute.isidentifier():
                found.add(module)
    return {m for m in found if m.split(".")[0] in ROOMS}


def breaches(room: str) -> list[str]:
    allowed = ALLOWED[room]
    found = []
    for path in sorted((ROOT / room).rglob("*.py")):
        for module in sorted(imports_of(path)):
            top = module.split(".")[0]
            if top == room or top in allowed or module in allowed:
                continue
            found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_each_room_imports_only_what_it_may(room: str) -> None:
    found = breaches(room)
    assert not found, f"{room}/ reaches a room it may not:\n" + "\n".join(found)


def test_providers_import_nothing_from_the_ledger() -> None:
    found = [b for b in breaches("providers") if b.split(" imports ")[1].split(".")[0] == "ledger"]
    assert found == []


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    """The parser finds a nested import, a ``TYPE_CHECKING`` one and a registry string,
    so a breach cannot hide in any of them."""
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ledger.record import Row\n"
        "def f():\n"
        "    import functions.settings\n"
        "    from . import sibling\n"
        "LOADS = {'x': 'ledger.book:append'}\n"
    )
    assert imports_of(source) == {"ledger.record", "functions.settings", "ledger.book"}
