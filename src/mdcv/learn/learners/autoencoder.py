"""Autoencoders and autoencoders regularized by the generator eigenfunction loss.

**Data**: ``x``, ``w`` (and ``beta`` or ``masses``/``kT`` for the diffusion of the
regularizer, as for the generator learner).
**Loss** (kind ``autoencoder``): the weighted reconstruction E_w|x - D(ξ(x))|²
(:func:`mdcv.learn.losses.reconstruction_loss`), computed in standardized coordinates (one
scale for all coordinates, so the loss is the study's divided by that scale²).
**Loss** (kind ``regularized_autoencoder``): γ1·reconstruction + γ2·R(ξ), R the
generator loss of the encoder output (:func:`mdcv.learn.losses.regularized_autoencoder_loss`,
seed formula (8)). Formula (8) minimizes over the decoder inside the γ1 term, so
the decoder is always the best one for the current encoder; when γ1 = 0 it is
trained on the reconstruction of the detached encoder output (the encoder does not
see it), so that the decoder's image of the CV range is still meaningful.
``n_samples`` > 0 trains on that many evenly spaced samples of the dataset (the
study: 1e5 points). **Read-out**: no eigenvalues (eigenvalues.csv is an empty table); cv.npz holds the
CV on the training data (``cv``), the decoder's image of the CV range
(``decoder_z`` (m,), ``decoder_x`` (m, d), input units, k = 1 only), and run.json the
final weighted reconstruction error (input units²) and, for the regularized kind,
the Rayleigh quotients of the CVs.

References: Lelièvre, Pigeon, Stoltz & Zhang (2024), J. Phys. Chem. B.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from mdcv.data import Dataset, normalized_weights
from mdcv.learn import spectral
from mdcv.learn.diffusion import coefficients
from mdcv.learn.gradients import DEFAULT_MODE, check_mode
from mdcv.learn.inputs import input_layer
from mdcv.learn.learners.base import BaseLearner, Readout, eigen_table
from mdcv.learn.learners.generator import default_omega
from mdcv.learn.losses import reconstruction_loss, regularized_autoencoder_loss
from mdcv.learn.models import AutoencoderModel, evaluate_in_chunks, values_and_gradients
from mdcv.toy.langevin import even_subset

log = logging.getLogger(__name__)

N_DECODER_POINTS = 100


class AutoencoderLearner(BaseLearner):
    """Plain autoencoder (kind ``autoencoder``); see the module docstring."""

    regularized = False

    def __init__(self, dataset, settings, device, pre: torch.nn.Module | None = None):
        n_max = int(settings.get("n_samples") or 0)
        if 0 < n_max < dataset.n:
            keep = even_subset(dataset.n, n_max)
            dataset = Dataset(x=dataset.x[keep], w=normalized_weights(dataset.w[keep]),
                              t=dataset.t[keep], traj=dataset.traj[keep], extra=dataset.extra)
            log.info("training on %d evenly spaced samples of the dataset", dataset.n)
        super().__init__(dataset, settings, device)
        self.k = int(settings["k"])
        if pre is None:  # `features: dihedrals` or `align`/`atoms` (molecules): a layer first
            pre = input_layer(dataset, settings)
        dim = getattr(pre, "out_dim", dataset.dim)
        self.model = AutoencoderModel(dim, self.k, settings["encoder_layers"],
                                      settings["decoder_layers"], settings["activation"],
                                      pre=pre).to(device)
        self.model.calibrate(self.x, self.w)

    def batch_loss(self, idx):
        x, w = self.x[idx], self.w[idx]
        z = self.model(x)
        recon = reconstruction_loss(self.model.target(x), self.model.decode_standardized(z), w)
        return recon, {"reconstruction": recon.detach()}, None

    def empty_eigenvalues(self) -> pd.DataFrame:
        return eigen_table([], [], "")

    def readout(self, result) -> Readout:
        self.model.eval()
        with torch.no_grad():
            z = evaluate_in_chunks(self.model, self.x, gradients=False)
            recon = reconstruction_loss(self.model.target(self.x),
                                        self.model.decode_standardized(z), self.w)
            recon = float(recon) * float(self.model.standardize.scale) ** 2
        z_np = z.double().cpu().numpy()
        cv = {"cv": z_np.astype(np.float32)}
        if self.k == 1:
            zs = torch.linspace(float(z.min()), float(z.max()), N_DECODER_POINTS,
                                device=self.device)[:, None]
            with torch.no_grad():
                cv["decoder_z"] = zs[:, 0].cpu().numpy().astype(np.float32)
                cv["decoder_x"] = self.model.decode(zs).cpu().numpy().astype(np.float32)
        info = {"reconstruction": recon, "kind": self.settings["kind"]}
        info.update(self.extra_info())
        table = self.empty_eigenvalues()
        readouts = table.copy()
        readouts.insert(0, "readout", pd.Series(dtype=str))
        log.info("reconstruction error %.6g (input units²)", recon)
        return Readout(eigenvalues=table, readouts=readouts, cv=cv, info=info)

    def extra_info(self) -> dict:
        return {}


class RegularizedAutoencoderLearner(AutoencoderLearner):
    """γ1·reconstruction + γ2·generator loss of the encoder (kind ``regularized_autoencoder``)."""

    regularized = True

    def __init__(self, dataset, settings, device, pre: torch.nn.Module | None = None):
        super().__init__(dataset, settings, device, pre)
        omega = settings.get("omega") or default_omega(self.k)
        if len(omega) != self.k:
            raise ValueError(f"omega must have k={self.k} entries, got {omega}")
        diffusion, self.unit = coefficients(dataset, settings)
        self.diffusion = torch.as_tensor(diffusion, dtype=torch.float32, device=device)
        self.omega = torch.as_tensor(omega, dtype=torch.float32, device=device)
        self.grad_mode = check_mode(settings.get("grad_mode", DEFAULT_MODE))

    def batch_loss(self, idx):
        x, w = self.x[idx], self.w[idx]
        s = self.settings
        z, grad = values_and_gradients(self.model, x, create_graph=True, mode=self.grad_mode)
        target = self.model.target(x)
        loss, parts = regularized_autoencoder_loss(
            target, self.model.decode_standardized(z), z, grad, w, self.diffusion, self.omega,
            s["alpha"], s["gamma1"], s["gamma2"])
        if s["gamma1"] == 0:
            loss = loss + reconstruction_loss(target, self.model.decode_standardized(z.detach()), w)
        scalars = {"reconstruction": parts["reconstruction"].detach(),
                   "regularizer": parts["regularizer"].detach(),
                   "penalty": parts["penalty"].detach()}
        scalars.update({f"rayleigh_{i + 1}": v for i, v in enumerate(parts["rayleigh"].detach())})
        return loss, scalars, parts["rayleigh"].detach()

    def extra_info(self) -> dict:
        f, g = evaluate_in_chunks(self.model, self.x)
        rq = spectral.rayleigh_quotients(f.double().cpu().numpy(), g.double().cpu().numpy(),
                                         self.dataset.w, self.diffusion.double().cpu().numpy())
        return {"rayleigh_quotients": rq.tolist(), "unit": self.unit}
