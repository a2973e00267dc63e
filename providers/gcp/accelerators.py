"""Whether a Google Cloud machine runs on a GPU: attached accelerators, or an
accelerator-optimized machine family (A2, A3, A4, G2, G4 come with their GPUs)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_ACCELERATOR_FAMILIES = re.compile(r"^(?:a[234]|g[24])-", re.IGNORECASE)


def is_accelerated(machine_type: str, accelerators: Iterable[str] = ()) -> bool:
    return any(accelerators) or bool(_ACCELERATOR_FAMILIES.match(machine_type.strip()))
