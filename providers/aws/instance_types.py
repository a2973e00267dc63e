"""Which AWS instance types carry a GPU or another accelerator (EC2 and SageMaker ``ml.``).

Families: G (graphics/inference GPUs), P (training GPUs), Inf (Inferentia), Trn
(Trainium), DL (Gaudi), VT (video transcoding), F (FPGAs).
"""

from __future__ import annotations

import re

_ACCELERATED = re.compile(
    r"^(?:ml\.)?(?:g[3-6][a-z]*|p[2-6][a-z]*|inf[12]|trn[12][a-z]*|dl[12][a-z]*|vt1|f[12])\.",
    re.IGNORECASE,
)


def is_accelerated(instance_type: str) -> bool:
    return bool(_ACCELERATED.match(instance_type.strip()))
