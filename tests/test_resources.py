"""Cluster resource requests of the training jobs (mdcv.workflow.resources)."""

from pathlib import Path

import pytest

from mdcv import config as mc
from mdcv.workflow import resources, targets

ROOT = Path(__file__).resolve().parents[1]
# The longest job a common SLURM partition accepts (minutes): every paper-scale training
# job, sized for one CPU thread, must fit it.
PARTITION_LIMIT_MIN = 48 * 60

GENERATOR = {"kind": "generator", "k": 2, "architecture": "separate", "layers": [30, 30, 30],
             "batch_size": 10000, "steps": 30000}


def test_step_cost_grows_with_batch_width_functions_and_alignment():
    base = resources.training_step_seconds(GENERATOR, 66)
    assert resources.training_step_seconds({**GENERATOR, "batch_size": 20000}, 66) > 1.9 * base - 1e-3
    assert resources.training_step_seconds({**GENERATOR, "layers": [60, 60, 60]}, 66) > base
    assert resources.training_step_seconds({**GENERATOR, "k": 3}, 66) > base
    aligned = resources.training_step_seconds({**GENERATOR, "align": True}, 66)
    assert aligned > base
    # the alignment's backward pass runs once per function of a second-order loss
    k3 = {**GENERATOR, "k": 3, "align": True}
    assert (resources.training_step_seconds(k3, 66) - resources.training_step_seconds(
        {**k3, "align": False}, 66)) == pytest.approx(1.5 * (aligned - base))


def test_autoencoders_count_encoder_and_decoder():
    ae = {"kind": "autoencoder", "k": 1, "encoder_layers": [30] * 4, "decoder_layers": [30] * 3,
          "batch_size": 1000}
    wider = {**ae, "decoder_layers": [60] * 3}
    assert resources.training_step_seconds(wider, 2) > resources.training_step_seconds(ae, 2)
    regularized = {**ae, "kind": "regularized_autoencoder"}
    assert resources.training_step_seconds(regularized, 2) > resources.training_step_seconds(ae, 2)


def test_a_new_kind_is_sized_as_the_dearest_known_one():
    new = {**GENERATOR, "kind": "my_learner", "align": True}
    costs = [resources.training_step_seconds({**new, "kind": kind}, 66)
             for kind in resources.PER_MULTIPLY_ADD]
    assert resources.training_step_seconds(new, 66) >= max(costs)


def test_averaging_job_asks_far_less_than_a_member():
    crossfit = {**GENERATOR, "folds": 4, "align": True}
    member = resources.training(crossfit, 100_000, 66)
    average = resources.averaging(crossfit, 100_000, 66)
    assert average["runtime"] < member["runtime"] / 5
    assert average["mem_mb"] == member["mem_mb"]


def paper_trainings():
    config = mc.load([ROOT / "config/paper.yaml"], ROOT)
    for system, name in targets.trainings(config):
        n, dim = resources.training_data_size(config, system, name)
        yield system, name, mc.learner_settings(config, system, name), n, dim


def test_paper_training_jobs_fit_a_two_day_partition():
    jobs = list(paper_trainings())
    assert any(s.get("align") for _, _, s, _, _ in jobs), "no aligned alanine learner in the paper config"
    for system, name, settings, n, dim in jobs:
        runtime = resources.training(settings, n, dim)["runtime"]
        assert 0 < runtime <= PARTITION_LIMIT_MIN, (system, name, runtime)
