"""Catalogs of named schedules, and ``resolve``: any tag value -> Schedule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from schedules.absolute import looks_absolute, parse_absolute
from schedules.custodian import looks_like_custodian, parse_custodian
from schedules.errors import VALID_FORMS, ScheduleError
from schedules.inline import parse_inline
from schedules.labels import looks_like_label, parse_label
from schedules.model import Schedule
from schedules.onesided import parse_one_sided_inline, parse_one_sided_label, side_of
from schedules.zones import canonical_zone

BUNDLED_CATALOG = Path(__file__).parent / "catalog"
MAX_SPEC_LENGTH = 1024  # longer than any cloud allows for a tag value
_CATALOG_SUFFIXES = (".yaml", ".yml")


# kube-downscaler's uptime words, for a fleet moving over without retagging: the
# bundled schedules they mean (a catalog may redefine those names).
UPTIME_WORDS = {"always": "always-on", "never": "always-off"}


class Catalog:
    """Named schedules plus the default zone; ``resolve`` parses tag values (LRU-cached)."""

    def __init__(
        self, schedules: Mapping[str, Schedule], default_tz: str = "UTC", cache_size: int = 4096
    ) -> None:
        self.default_tz = canonical_zone(default_tz)
        self._named = dict(sorted(schedules.items()))
        # Errors are cached too: a fleet with one bad tag repeated must not re-parse it.
        self._cached = lru_cache(maxsize=cache_size)(self._resolve_uncached)

    def resolve(self, spec: str) -> Schedule:
        """A catalog name, inline, label-safe or Custodian value -> Schedule (or ScheduleError)."""
        if not isinstance(spec, str):
            raise ScheduleError(f"a schedule must be text, got {spec!r}; {VALID_FORMS}")
        found = self._cached(spec)
        if isinstance(found, ScheduleError):
            raise found
        return found

    def _resolve_uncached(self, spec: str) -> Schedule | ScheduleError:
        try:
            return self._parse(spec)
        except ScheduleError as err:
            return err

    def _parse(self, spec: str) -> Schedule:
        text = spec.strip()
        if not text:
            raise ScheduleError(f"empty schedule value; {VALID_FORMS}")
        if len(text) > MAX_SPEC_LENGTH:
            raise ScheduleError(f"schedule value is {len(text)} characters; {VALID_FORMS}")
        named = self._named.get(text.lower()) or self._named.get(UPTIME_WORDS.get(text.lower(), ""))
        if named is not None:
            return named
        foreign = _other_scheduler(text, self.default_tz)
        if foreign is not None:
            return foreign
        if side_of(text) is not None:
            if any(c.isspace() for c in text) or ":" in text:
                return parse_one_sided_inline(text, self.default_tz)
            return parse_one_sided_label(text, self.default_tz)
        if any(c.isspace() for c in text) or ":" in text:
            return parse_inline(text, self.default_tz)
        if looks_like_label(text):
            return parse_label(text, self.default_tz)
        known = ", ".join(self._named) or "none"
        raise ScheduleError(f"unknown schedule '{text}' (catalog names: {known}); {VALID_FORMS}")

    def get(self, name: str) -> Schedule | None:
        return self._named.get(name.strip().lower())

    def __iter__(self) -> Iterator[Schedule]:
        return iter(self._named.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._named

    def __len__(self) -> int:
        return len(self._named)

    def __repr__(self) -> str:
        return f"Catalog({len(self._named)} schedules, default_tz={self.default_tz!r})"


def _other_scheduler(text: str, default_tz: str) -> Schedule | None:
    """A Custodian value or a kube-downscaler absolute range, else None."""
    if looks_like_custodian(text):
        return parse_custodian(text, default_tz)
    if looks_absolute(text):
        return parse_absolute(text)
    return None


def _catalog_files(source: Path, problems: list[str]) -> list[Path]:
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.suffix in _CATALOG_SUFFIXES and p.is_file())
    if source.is_file():
        return [source]
    problems.append(f"{source}: no such catalog directory or file")
    return []


def load_source(source: Path, default_tz: str, problems: list[str]) -> dict[str, Schedule]:
    """The schedules of one catalog directory (or file); a name defined twice is a problem."""
    # The catalog schema (and PyYAML under it) is loaded when a catalog is read, not by
    # every importer of the schedule language.
    from schedules.schema import parse_catalog_text

    found: dict[str, Schedule] = {}
    where: dict[str, Path] = {}
    for path in _catalog_files(source, problems):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{path}: cannot read: {err}")
            continue
        schedules, file_problems = parse_catalog_text(text, str(path), default_tz)
        problems.extend(file_problems)
        for schedule in schedules:
            if schedule.name in found and where[schedule.name] != path:
                problems.append(
                    f"{path}: schedule '{schedule.name}': field 'name': "
                    f"also defined in {where[schedule.name]}"
                )
            found[schedule.name] = schedule
            where[schedule.name] = path
    return found


def load_catalog(paths: Sequence[str | Path] = (), default_tz: str = "UTC") -> Catalog:
    """The bundled catalog plus user directories (later ones override by name).

    Raises one ScheduleError listing every problem, each with file, schedule and field.
    """
    zone = canonical_zone(default_tz or "UTC")
    if isinstance(paths, str | Path):
        paths = [paths]  # a lone path is a common slip; treat it as one directory
    problems: list[str] = []
    merged: dict[str, Schedule] = {}
    for source in [BUNDLED_CATALOG, *paths]:
        merged.update(load_source(Path(source), zone, problems))
    if problems:
        raise ScheduleError.many(problems)
    return Catalog(merged, zone)
