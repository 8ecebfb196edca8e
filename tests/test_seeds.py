"""The one seed derivation (mdcv.seeds)."""

from pathlib import Path

from mdcv import config as mdcv_config
from mdcv import seeds
from mdcv.md import mdp
from mdcv.md import settings as mdsettings
from mdcv.workflow import params

ROOT = Path(__file__).resolve().parents[1]


def test_derive_is_stable_in_range_and_separates_steps():
    first = seeds.derive(7, "train", "mueller_brown", "generator")
    assert first == seeds.derive(7, "train", "mueller_brown", "generator")
    assert 0 <= first < 2**31 - 1
    others = {seeds.derive(7, "train", "mueller_brown", name) for name in ("transfer", "autoencoder")}
    others |= {seeds.derive(8, "train", "mueller_brown", "generator")}
    assert first not in others and len(others) == 3
    # names are joined with a separator: ("ab", "c") and ("a", "bc") are different steps
    assert seeds.derive(1, "ab", "c") != seeds.derive(1, "a", "bc")


def test_workflow_and_gromacs_use_the_same_derivation():
    assert params.seed({"seed": 3}, "train", "s", "g") == seeds.derive(3, "train", "s", "g")
    config = mdcv_config.load([], base_dir=ROOT)
    settings = mdsettings.system_settings(config, "ala2-vacuum")
    values = mdp.stage_values(settings, "unbiased", 10.0, run=2)
    assert values["seed"] == seeds.derive(config["seed"], "ala2-vacuum", "unbiased", 2)
