"""The study's one seed derivation: every step's seed from the config's ``seed``.

Each step (a toy sampler, a training, a cross-fitting member, a GROMACS run's
``ld-seed``) gets ``derive(seed, *names)``, where the names are the step's name and
its wildcard values, so steps draw independent streams and a rerun of one step
reproduces it exactly.
"""

from __future__ import annotations

import hashlib


def derive(seed: int, *names) -> int:
    """A reproducible seed in [0, 2³¹ − 1) from the study seed and the step's names."""
    text = ":".join([str(int(seed)), *map(str, names)])
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % (2**31 - 1)
