"""Learners: one class per ``kind`` of the config's ``learners:`` section.

A learner class subclasses :class:`mdcv.learn.learners.base.BaseLearner`, whose
docstring is the whole contract: what :func:`mdcv.learn.train.fit` reads and sets, the
abstract ``batch_loss`` and ``readout``, the hooks with their defaults. To add a learner:
write the class, register it in :data:`KINDS`, add its settings to
``src/mdcv/schemas/learners.schema.yaml``.
"""

from __future__ import annotations

from mdcv.learn.learners.autoencoder import AutoencoderLearner, RegularizedAutoencoderLearner
from mdcv.learn.learners.generator import GeneratorLearner
from mdcv.learn.learners.transfer import TransferLearner

KINDS = {
    "generator": GeneratorLearner,
    "transfer": TransferLearner,
    "autoencoder": AutoencoderLearner,
    "regularized_autoencoder": RegularizedAutoencoderLearner,
}


def learner_class(kind: str):
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown learner kind {kind!r}; known: {sorted(KINDS)}") from None
