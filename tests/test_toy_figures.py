"""Figures: the shared save and sampling helpers, the MD panels, the autoencoder figure, and
the figure/table rules on the tiny config."""

import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mdcv.data import Dataset
from mdcv.learn.learners.autoencoder import AutoencoderLearner
from mdcv.learn.learners.base import train_and_save
from mdcv.plots.common import MAX_POINTS, pyplot, save, subsample
from mdcv.plots.cv import autoencoder_figure, autoencoder_panel
from mdcv.plots.md import plot_samples, plot_weights
from mdcv.toy.potentials import evaluate, mueller_brown
from mdcv.toy.reference import compute_spectrum

ROOT = Path(__file__).resolve().parents[1]
BOX = [[-1.5, 1.2], [-0.5, 2.0]]
SETTINGS = {"kind": "autoencoder", "k": 1, "encoder_layers": [8], "decoder_layers": [8],
            "activation": "tanh", "lr": 5e-3, "lr_final": 1e-3, "batch_size": 500, "steps": 20,
            "log_every": 10, "checkpoint_every": 10, "average_last": 10, "max_loss": 1e8,
            "device": "cpu", "threads": 1, "dataset": "biased"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ae")
    spectrum = compute_spectrum(mueller_brown, 1.0, BOX, (32, 32), 1)
    rng = np.random.default_rng(0)
    x = rng.uniform([b[0] for b in BOX], [b[1] for b in BOX], (2000, 2))
    v = evaluate(mueller_brown, x)
    w = np.exp(-0.5 * (v - v.min()))
    ds = Dataset(x=x, w=w / w.mean(), t=np.zeros(2000), traj=np.arange(2000))
    train_and_save(AutoencoderLearner, ds, SETTINGS, tmp / "m", tmp / "c.pt", seed=0)
    return spectrum, ds, tmp / "m"


def test_panel_has_labelled_axes_levels_and_decoder_dots(trained):
    spectrum, ds, model_dir = trained
    fig, ax = plt.subplots()
    autoencoder_panel(ax, spectrum, ds.x, model_dir, "test")
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "test"
    offsets = [c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets")]
    assert any(len(o) == 100 for o in offsets)  # the decoder's image of the CV range
    plt.close(fig)


def test_figure_files_exist_and_are_not_empty(trained, tmp_path):
    spectrum, ds, model_dir = trained
    png, pdf = tmp_path / "a.png", tmp_path / "a.pdf"
    autoencoder_figure(spectrum, ds, [model_dir, model_dir], ["a", "b"], png, pdf, "mb")
    assert png.stat().st_size > 1000 and pdf.stat().st_size > 1000



def test_save_writes_every_path_at_its_resolution_and_closes_the_figure(tmp_path):
    shapes = {}
    for dpi in (75, 150):
        fig, ax = pyplot().subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        paths = [tmp_path / str(dpi) / "f.png", tmp_path / str(dpi) / "pdf" / "f.pdf"]
        save(fig, [*paths, None], dpi=dpi)
        assert all(p.stat().st_size > 500 for p in paths)
        assert paths[1].read_bytes().startswith(b"%PDF")
        assert not plt.fignum_exists(fig.number)
        shapes[dpi] = plt.imread(paths[0]).shape
    assert shapes[150][0] == pytest.approx(2 * shapes[75][0], abs=3)


def test_subsample_keeps_small_sets_and_draws_a_sorted_repeatable_subset():
    np.testing.assert_array_equal(subsample(10), np.arange(10))
    idx = subsample(MAX_POINTS + 1000)
    assert len(idx) == MAX_POINTS == len(np.unique(idx)) and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, subsample(MAX_POINTS + 1000))


def test_md_panels_are_written_as_png_and_pdf(tmp_path):
    rng = np.random.default_rng(0)
    phi, psi = rng.uniform(-np.pi, np.pi, (2, 500))
    samples = [tmp_path / "samples.png", tmp_path / "samples.pdf"]
    weights = [tmp_path / "weights.png", tmp_path / "weights.pdf"]
    plot_samples(phi, psi, "test", samples)
    plot_weights(phi, np.exp(rng.normal(size=500)), "φ", "test", weights)
    assert all(p.stat().st_size > 1000 for p in samples + weights)


@pytest.mark.slow
@pytest.mark.snakemake
def test_tiny_run_of_the_cv_quality_and_autoencoder_figure_rules(tmp_path):
    targets = ["results/tables/toy_cv_quality.csv",
               "results/figures/toy_mueller_brown_autoencoders.png",
               "results/figures/toy_mueller_brown_autoencoder_autoencoder-reg.pdf",
               "results/tables/toy_spectrum.csv"]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "2",
         "--configfile", str(ROOT / "tests/configs/toy_tiny.yaml"), "--directory", str(tmp_path),
         *targets], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    for target in targets:
        assert (tmp_path / target).stat().st_size > 0
    table = pd.read_csv(tmp_path / targets[0])
    assert set(table["learner"]) >= {"transfer", "autoencoder", "autoencoder-reg0",
                                     "autoencoder-reg", "generator"}
    assert set(table["system"]) == {"mueller_brown", "wolfe_quapp"}
    assert np.isfinite(table["lambda_tilde_1"]).all()
    spectrum = pd.read_csv(tmp_path / "results/tables/toy_spectrum.csv")
    assert "transfer" in set(spectrum["method"])  # scored on the biased samples
