"""The input layer of a CV model: what a learner's settings put before the network.

``features: dihedrals`` (:mod:`mdcv.md.dihedrals`): sin/cos of a dihedral list;
``align``/``atoms`` (:mod:`mdcv.learn.alignment`): a differentiable Kabsch alignment;
neither: the coordinates as they are. The layer is part of the model, so ∇f in every
loss is w.r.t. the dataset's coordinates (nm for molecules).
"""

from __future__ import annotations

from torch import nn

from mdcv.learn import alignment
from mdcv.md import dihedrals


def input_layer(dataset, settings: dict) -> nn.Module | None:
    """The ``pre`` layer ``settings`` ask for on ``dataset`` (None: no layer)."""
    features = dihedrals.from_settings(dataset, settings)
    return features if features is not None else alignment.from_settings(dataset, settings)
