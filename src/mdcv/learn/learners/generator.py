"""Generator eigenfunctions from (biased, reweighted) samples.

**Data**: ``x``, ``w`` (and ``beta`` or ``masses``/``kT`` for the diffusion).
**Loss**: :func:`mdcv.learn.losses.generator_loss`, Σ ω_i E(f_i)/Var(f_i) + α Σ_{i≤j}
(Cov(f_i, f_j) - δ_ij)², weights in every expectation.
**Read-outs**: ``rayleigh`` (each Rayleigh quotient on the minibatches, mean ± std
over the last ``average_last`` steps: the study's), ``ritz`` (Rayleigh–Ritz in the
span of the learned functions on all data), ``galerkin`` (effective dynamics along
f_1 for λ_1, then Ritz; see :mod:`mdcv.learn.spectral`). The ``readout`` setting picks the
one written to eigenvalues.csv; all are written to readouts.csv, with the std of
ritz/galerkin from a bootstrap over samples. With ``holdout`` h > 0 the last fraction h
of the frames never enters training: ritz/galerkin are computed on the training frames,
and ``ritz-holdout``/``galerkin-holdout`` on the held-out ones, whose std and percentile
interval (``lo``, ``hi``) come from a block bootstrap over contiguous stretches of time
(:meth:`GeneratorLearner.holdout_intervals`): held-out frames are correlated. The in-sample values can
fall below λ_1 when the network overfits the few barrier frames; the held-out ones are
bounds in expectation. Each ritz/galerkin row also gives ``frames_effective``
(:func:`mdcv.learn.spectral.energy_frames`): on how many frames of its block the energy of
that Ritz eigenfunction rests. An overfit network has sharp steps between its training
frames, and a held-out value carried by a handful of frames that land on one is
heavy-tailed: its bootstrap std understates the error, and a warning says so.

**Model selection**: with ``validation`` v > 0 the fraction v of the frames just before
the held-out block never trains either; every ``validate_every`` steps
:meth:`GeneratorLearner.validation_score` is computed on them, and the best model is
the one read out (:func:`mdcv.learn.train.fit`; ``patience`` stops training early). Its
``-validation`` read-outs are biased low by the choice; the ``-holdout`` ones are not.

References: Zhang, Li & Schütte (2022), J. Comput. Phys. 465, 111377.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from mdcv.learn import spectral
from mdcv.learn.diffusion import coefficients
from mdcv.learn.gradients import DEFAULT_MODE, check_mode, loss_with_gradients
from mdcv.learn.inputs import input_layer
from mdcv.learn.learners.base import EIGEN_COLUMNS, BaseLearner, Readout, eigen_table
from mdcv.learn.losses import deflate, generator_loss
from mdcv.learn.models import EigenfunctionModel, evaluate_in_chunks

log = logging.getLogger(__name__)

N_BOOTSTRAP = 10
# Fewer frames than this carrying a held-out eigenvalue's energy draws a warning.
MIN_ENERGY_FRAMES = 20


def default_omega(k: int) -> list[float]:
    """ω = 1, 0.8, 0.6, … (strictly decreasing, positive)."""
    return [1.0 - 0.8 * i / max(k, 1) for i in range(k)]


class GeneratorLearner(BaseLearner):
    """Trains K generator eigenfunctions; see the module docstring."""

    selects_model = True

    def __init__(self, dataset, settings, device, pre: torch.nn.Module | None = None):
        super().__init__(dataset, settings, device)
        k = int(settings["k"])
        omega = settings.get("omega") or default_omega(k)
        if len(omega) != k or any(a <= b for a, b in zip(omega[:-1], omega[1:], strict=False)):
            raise ValueError(f"omega must have k={k} strictly decreasing entries, got {omega}")
        if settings.get("readout", "").endswith("-holdout") and self.n_holdout == 0:
            raise ValueError(f"readout {settings['readout']!r} needs holdout > 0 (the fraction "
                             "of frames kept out of training)")
        diffusion, self.unit = coefficients(dataset, settings)
        self.diffusion = torch.as_tensor(diffusion, dtype=torch.float32, device=device)
        self.omega = torch.as_tensor(omega, dtype=torch.float32, device=device)
        self.grad_mode = check_mode(settings.get("grad_mode", DEFAULT_MODE))
        if pre is None:  # `features: dihedrals` or `align`/`atoms`: ∇f is w.r.t. simulated x
            pre = input_layer(dataset, settings)
        self.model = EigenfunctionModel(
            getattr(pre, "out_dim", dataset.dim), k, settings["layers"], settings["activation"],
            settings["architecture"], settings["bounded_first"], pre=pre).to(device)
        self.model.calibrate(self.x[: self.n_train], self.w[: self.n_train])
        self.log_w = torch.log(self.w.clamp_min(1e-30))
        self._noise_gen = torch.Generator(device=device)  # reseeded from self.rng per batch

    def batch_weights(self, idx: torch.Tensor) -> torch.Tensor:
        """Weights of a minibatch; during the first ``anneal_steps`` steps w^s, s: 0 → 1.

        w^s reweights to the intermediate measure ∝ ρ_biased^(1-s) μ^s, so training
        starts on the eigenproblem of the well-sampled biased measure and follows
        it continuously to μ (a continuation that avoids saddles at the start).
        """
        anneal = int(self.settings.get("anneal_steps", 0))
        if anneal <= 0 or self.step >= anneal:
            return self.w[idx]
        s = self.step / anneal
        lw = s * self.log_w[idx]
        return torch.exp(lw - lw.max())

    def prepare(self, gen: torch.Generator) -> None:
        """``init: spectral``: fit the networks to a radial-basis Rayleigh–Ritz guess.

        The guess (:func:`mdcv.learn.spectral.rbf_ritz` on ``init_samples`` samples) already
        has the right nodal structure, including where μ is tiny (a metastable set of
        mass e⁻¹⁰ carries φ_2 on Müller-Brown, and the weighted loss sends almost no
        gradient there). The networks are regressed on it, unweighted, for
        ``init_steps`` Adam steps; the generator loss takes over from there.
        """
        if self.settings.get("init", "random") != "spectral":
            return
        k = self.model.k
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        sub = rng.choice(self.n_train, size=min(self.n_train, int(self.settings["init_samples"])),
                         replace=False)
        d = self.diffusion.double().cpu().numpy()
        vals, target = spectral.rbf_ritz(self.dataset.x[sub], self.dataset.w[sub], d,
                                         int(self.settings["init_centres"]), k, rng)
        log.info("spectral initialization: radial-basis Ritz eigenvalues %s",
                 np.array2string(vals, precision=5))
        self.regress_on(sub, target, gen)

    def batch_inputs(self, idx: torch.Tensor) -> torch.Tensor:
        """Training inputs of a minibatch: the frames, plus Gaussian noise of std
        ``input_noise`` (data length unit) per coordinate when it is > 0.

        The noise is drawn from a device generator seeded from ``self.rng`` (the
        training loop's checkpointed generator), so a resumed run draws what the
        uninterrupted one would have.
        """
        x = self.x[idx]
        sigma = float(self.settings.get("input_noise") or 0.0)
        if sigma <= 0:
            return x
        self._noise_gen.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.rng)))
        return x + sigma * torch.randn(x.shape, generator=self._noise_gen, device=x.device,
                                       dtype=x.dtype)

    def batch_loss(self, idx):
        loss, parts = loss_with_gradients(
            generator_loss, self.model, self.batch_inputs(idx), self.grad_mode,
            self.batch_weights(idx), self.diffusion, self.omega, self.settings["alpha"],
            self.settings["deflation"])
        scalars = {"penalty": parts["penalty"].detach()}
        scalars.update({f"rayleigh_{i + 1}": v for i, v in enumerate(parts["rayleigh"].detach())})
        return loss, scalars, parts["rayleigh"].detach()

    def evaluate(self):
        """Values (n, k) and gradients (n, k, d) on all data, float64 numpy."""
        f, g = evaluate_in_chunks(self.model, self.x)
        return f.double().cpu().numpy(), g.double().cpu().numpy()

    def validation_score(self) -> float:
        """Model-selection score on the validation frames (lower is better).

        Σ_i ω_i log λ_i with λ_i the Rayleigh–Ritz eigenvalues in the span of the learned
        functions on those frames: the training objective made scale-free, so a slow
        λ_1 ≈ 1e-3 ns⁻¹ counts as much as a fast λ_2 ≈ 5 ns⁻¹. Ritz values of frames the
        network never saw rise when it overfits the training frames.
        """
        lo, hi = self.n_train, self.n_train + self.n_validation
        f, g = evaluate_in_chunks(self.model, self.x[lo:hi])
        try:
            vals, _ = spectral.ritz(f.double().cpu().numpy(), g.double().cpu().numpy(),
                                    self.dataset.w[lo:hi], self.diffusion.double().cpu().numpy())
        except np.linalg.LinAlgError:  # a function constant on these frames: no score
            return float("nan")
        logs = np.log(np.maximum(vals, 1e-300))
        return float(np.dot(self.omega.double().cpu().numpy(), logs))

    def freeze_deflation(self) -> None:
        """Fold the Gram–Schmidt of the deflated loss on the training frames into the model's output."""
        if not self.settings["deflation"] or self.model.k == 1 or not hasattr(self.model, "mix"):
            return  # (a cross-fitted average: its members were frozen when they were saved)
        f, g = evaluate_in_chunks(self.model, self.x[: self.n_train])
        _, _, mix = deflate(f.double(), g.double(), self.w[: self.n_train].double())
        self.model.mix.copy_(mix.to(self.model.mix) @ self.model.mix)

    def spectral_rows(self, f, g, w, d, suffix: str = "") -> tuple[list, np.ndarray]:
        """ritz and galerkin rows on (f, g, w) with bootstrap stds; and the Ritz vectors."""
        ritz_vals, ritz_vecs = spectral.ritz(f, g, w, d)
        cells = (self.settings["galerkin_cells"], self.settings["galerkin_cells_rest"])
        galerkin_vals = spectral.galerkin(f, g, w, d, *cells)
        rng = np.random.default_rng(0)
        if suffix == "-holdout":
            interval = self.holdout_intervals(f, g, w, d, cells, rng)
        else:
            boot = {"ritz": [], "galerkin": []}
            for _ in range(N_BOOTSTRAP):
                s = rng.integers(0, len(w), len(w))
                boot["ritz"].append(spectral.ritz(f[s], g[s], w[s], d)[0])
                boot["galerkin"].append(spectral.galerkin(f[s], g[s], w[s], d, *cells))
            interval = {name: (np.std(v, 0), np.nan, np.nan) for name, v in boot.items()}
        frames = spectral.energy_frames(g, w, d, ritz_vecs)
        if suffix and np.nanmin(frames) < MIN_ENERGY_FRAMES:
            log.warning("on the %s frames the energy of Ritz eigenfunction %d rests on %.1f "
                        "effective frames of %d: "
                        "its eigenvalue is heavy-tailed and its bootstrap std too small; the "
                        "network has likely overfit the barrier frames (choose an earlier "
                        "model, or train on more data)", suffix[1:], int(np.nanargmin(frames)) + 1,
                        np.nanmin(frames), len(w))
        rows = [_rows("ritz" + suffix, ritz_vals, *interval["ritz"], self.unit),
                _rows("galerkin" + suffix, galerkin_vals, *interval["galerkin"], self.unit)]
        for table in rows:
            table["frames_effective"] = frames
        return rows, ritz_vecs

    def holdout_intervals(self, f, g, w, d, cells, rng) -> dict:
        """Block-bootstrap (std, lo, hi) of the ritz and galerkin eigenvalues on the held-out
        frames (the dataset's last len(w)): stretches of ``holdout_block`` (the data's time
        unit, ps for molecules; absent: 1000) within each trajectory, ``holdout_draws``
        (absent: 200) draws, percentile interval at ``holdout_level`` (absent: 0.95)."""
        from mdcv.stats import block_bootstrap, block_ids

        k = f.shape[1]
        n = len(w)
        g, d = compressed_gradients(g, d), np.ones(k)  # the same energies, d → k coordinates
        blocks = block_ids(self.dataset.t[-n:], float(self.settings.get("holdout_block", 1000.0)),
                           self.dataset.traj[-n:])

        def values(s):
            try:
                return np.r_[spectral.ritz(f[s], g[s], w[s], d)[0],
                             spectral.galerkin(f[s], g[s], w[s], d, *cells)]
            except (np.linalg.LinAlgError, ValueError):  # a resample without spread
                return np.full(2 * k, np.nan)

        res = block_bootstrap(values, blocks, int(self.settings.get("holdout_draws", 200)),
                              float(self.settings.get("holdout_level", 0.95)), rng)
        return {name: tuple(res[key][part] for key in ("std", "lo", "hi"))
                for name, part in (("ritz", slice(0, k)), ("galerkin", slice(k, 2 * k)))}

    def readout(self, result) -> Readout:
        self.freeze_deflation()
        f, g = self.evaluate()
        w = self.dataset.w
        d = self.diffusion.double().cpu().numpy()
        n_last = min(int(self.settings["average_last"]), len(result.step_estimates))
        rows = []
        if n_last > 0:  # the study's read-out: sort each step's quotients ascending, then average
            last_sorted = np.sort(result.step_estimates[-n_last:], axis=1)
            rows.append(_rows("rayleigh", last_sorted.mean(0), last_sorted.std(0), np.nan, np.nan,
                              self.unit))
        m = self.n_train  # in-sample read-outs on the training frames, the others after
        in_sample, ritz_vecs = self.spectral_rows(f[:m], g[:m], w[:m], d)
        rows += in_sample
        if self.n_validation:
            v = slice(m, m + self.n_validation)
            rows += self.spectral_rows(f[v], g[v], w[v], d, "-validation")[0]
        if self.n_holdout:
            h = slice(self.n - self.n_holdout, self.n)
            rows += self.spectral_rows(f[h], g[h], w[h], d, "-holdout")[0]
        readouts = pd.concat(rows, ignore_index=True)
        chosen = readouts.loc[readouts["readout"] == self.settings["readout"], EIGEN_COLUMNS]
        # Eigenfunction estimates on the data: Ritz combinations, sorted by eigenvalue.
        centred = f - (w[:, None] * f).sum(0) / w.sum()
        eigenfunctions = centred @ ritz_vecs
        order = np.argsort(spectral.rayleigh_quotients(f, g, w, d))
        return Readout(
            eigenvalues=chosen.reset_index(drop=True),
            readouts=readouts,
            cv={"cv": f.astype(np.float32), "eigenfunctions": eigenfunctions.astype(np.float32),
                "sorted_cv": f[:, order].astype(np.float32)},
            info={"unit": self.unit, "readout": self.settings["readout"]},
        )


def compressed_gradients(grad, diffusion) -> np.ndarray:
    """Gradients (n, k, k) with unit diffusion and the same products as ``grad`` (n, k, d)
    under ``diffusion`` (d,): L_n L_nᵀ = g_n D g_nᵀ per frame. The read-outs use gradients
    only through these products, so they give the same values, d/k times faster."""
    gram = np.einsum("nkd,d,njd->nkj", grad, np.asarray(diffusion, dtype=np.float64), grad)
    vals, vecs = np.linalg.eigh(gram)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]


def _rows(name: str, values, stds, lo, hi, unit: str) -> pd.DataFrame:
    table = eigen_table(values, stds, unit)
    table.insert(0, "readout", name)
    table["lo"], table["hi"] = lo, hi
    return table
