"""Which Azure VM sizes carry a GPU: the N family (``Standard_NC…``, ``ND…``, ``NV…``,
``NG…``) and the AI-infrastructure ``ND``/``NC`` sizes alike."""

from __future__ import annotations

import re

_GPU_SIZES = re.compile(r"^standard_n[cdvg]", re.IGNORECASE)


def is_accelerated(size: str) -> bool:
    return bool(_GPU_SIZES.match(size.strip()))
