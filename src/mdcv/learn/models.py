"""Neural networks for collective variables and eigenfunctions.

Every model maps coordinates x (n, d) to CVs (n, k), holds its own input
standardization and output affine map as buffers/parameters (set from data by
:meth:`EigenfunctionModel.calibrate`), and can be exported to TorchScript.
"""

from __future__ import annotations

import torch
from torch import nn

from mdcv.learn.gradients import mlp_jacobian, values_and_gradients

__all__ = ["ACTIVATIONS", "AutoencoderModel", "EigenfunctionModel", "Standardize", "evaluate_in_chunks",
           "export_torchscript", "mlp", "values_and_gradients"]

ACTIVATIONS = {"tanh": nn.Tanh, "softplus": nn.Softplus, "silu": nn.SiLU, "elu": nn.ELU,
               "relu": nn.ReLU}


def mlp(n_in: int, hidden: list[int], n_out: int, activation: str) -> nn.Sequential:
    """A fully connected network n_in → hidden… → n_out with ``activation`` between layers."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sizes = [n_in, *hidden]
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), ACTIVATIONS[activation]()]
    layers.append(nn.Linear(sizes[-1], n_out))
    return nn.Sequential(*layers)


class Standardize(nn.Module):
    """x ↦ (x - mean) / scale with fixed buffers (one scale for all coordinates)."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale

    @torch.no_grad()
    def fit(self, x: torch.Tensor, w: torch.Tensor) -> None:
        wn = (w / w.sum())[:, None]
        self.mean.copy_((wn * x).sum(0))
        self.scale.copy_(((wn * (x - self.mean) ** 2).sum(0).sum()).sqrt().clamp_min(1e-12))


class EigenfunctionModel(nn.Module):
    """K trial functions f_1..f_K of the coordinates.

    ``architecture='shared'``: one network with K outputs (the study);
    ``'separate'``: one network per function (no competition for hidden units).
    ``bounded_first``: f_1 = a·tanh(g_1) + b, suited to a function that is nearly
    constant on each of two metastable sets. Each output has a learnable scale and
    shift, set by :meth:`calibrate` so that training starts at mean 0, variance 1.
    ``pre`` is an optional module applied first (e.g. a differentiable alignment).
    """

    def __init__(self, dim: int, k: int, layers: list[int], activation: str = "tanh",
                 architecture: str = "separate", bounded_first: bool = False,
                 pre: nn.Module | None = None):
        super().__init__()
        if architecture not in ("separate", "shared"):
            raise ValueError(f"architecture must be 'separate' or 'shared', got {architecture!r}")
        self.k = k
        self.bounded_first = bounded_first
        self.pre = pre if pre is not None else nn.Identity()
        self.standardize = Standardize(dim)
        if architecture == "shared":
            self.nets = nn.ModuleList([mlp(dim, layers, k, activation)])
        else:
            self.nets = nn.ModuleList([mlp(dim, layers, 1, activation) for _ in range(k)])
        self.out_scale = nn.Parameter(torch.ones(k))
        self.out_shift = nn.Parameter(torch.zeros(k))
        self.register_buffer("mix", torch.eye(k))

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        z = self.standardize(self.pre(x))
        out = torch.cat([net(z) for net in self.nets], dim=1)
        if self.bounded_first:
            out = torch.cat([torch.tanh(out[:, :1]), out[:, 1:]], dim=1)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.raw(x) * self.out_scale + self.out_shift) @ self.mix.T

    def explicit_jacobian(self, y: torch.Tensor, reverse: bool = False
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs f (n, k) and ∂f/∂y (n, k, m) for y = pre(x) (n, m), propagated through
        the layers as ordinary tensor operations, forward or ``reverse``
        (:func:`mdcv.learn.gradients.mlp_jacobian`)."""
        z = self.standardize(y)
        outs, jacs = zip(*(mlp_jacobian(net, z, reverse) for net in self.nets), strict=True)
        out, jac = torch.cat(outs, dim=1), torch.cat(jacs, dim=1) / self.standardize.scale
        if self.bounded_first:
            t = torch.tanh(out[:, :1])
            jac = torch.cat([(1 - t * t)[:, :, None] * jac[:, :1], jac[:, 1:]], dim=1)
            out = torch.cat([t, out[:, 1:]], dim=1)
        out = (out * self.out_scale + self.out_shift) @ self.mix.T
        return out, self.mix @ (jac * self.out_scale[:, None])

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, w: torch.Tensor) -> None:
        """Fit the input standardization and set outputs to weighted mean 0, variance 1."""
        self.standardize.fit(self.pre(x), w)
        raw = self.raw(x)
        wn = (w / w.sum())[:, None]
        mean = (wn * raw).sum(0)
        std = (wn * (raw - mean) ** 2).sum(0).sqrt().clamp_min(1e-8)
        self.out_scale.copy_(1.0 / std)
        self.out_shift.copy_(-mean / std)


def evaluate_in_chunks(model: nn.Module, x: torch.Tensor, chunk: int = 200_000,
                       gradients: bool = True):
    """Values (and gradients) on a large array, chunked to bound memory, no graph kept."""
    fs, gs = [], []
    for start in range(0, x.shape[0], chunk):
        xb = x[start:start + chunk]
        if gradients:
            f, g = values_and_gradients(model, xb)
            fs.append(f.detach())
            gs.append(g.detach())
        else:
            with torch.no_grad():
                fs.append(model(xb))
    f = torch.cat(fs)
    return (f, torch.cat(gs)) if gradients else f


def export_torchscript(model: nn.Module, example: torch.Tensor, path) -> None:
    """Save a TorchScript version of ``model`` (inputs (n, d) → CVs (n, k))."""
    model = model.eval()
    traced = torch.jit.trace(model, example, check_trace=False)
    traced.save(str(path))


class AutoencoderModel(nn.Module):
    """Encoder ξ: R^d → R^k (the CV, :meth:`forward`) and decoder R^k → R^d.

    Inputs pass through ``pre`` (e.g. an alignment) and a fixed standardization with
    one scale for all coordinates (so distances keep their geometry); the decoder
    works in standardized coordinates (:meth:`decode_standardized`) and
    :meth:`decode` maps back to the input's units. TorchScript export traces the
    encoder only; the decoder's weights are in the state dict.
    """

    def __init__(self, dim: int, k: int, encoder_layers: list[int], decoder_layers: list[int],
                 activation: str = "tanh", pre: nn.Module | None = None):
        super().__init__()
        self.k = k
        self.pre = pre if pre is not None else nn.Identity()
        self.standardize = Standardize(dim)
        self.encoder = mlp(dim, encoder_layers, k, activation)
        self.decoder = mlp(k, decoder_layers, dim, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.standardize(self.pre(x)))

    def explicit_jacobian(self, y: torch.Tensor, reverse: bool = False
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """CVs ξ (n, k) and ∂ξ/∂y (n, k, m) for y = pre(x) (n, m), propagated through
        the layers as ordinary tensor operations, forward or ``reverse``
        (:func:`mdcv.learn.gradients.mlp_jacobian`)."""
        out, jac = mlp_jacobian(self.encoder, self.standardize(y), reverse)
        return out, jac / self.standardize.scale

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """What the decoder reconstructs: the standardized (pre-processed) input."""
        return self.standardize(self.pre(x))

    def decode_standardized(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder output in the input's units (after ``pre``)."""
        return self.decoder(z) * self.standardize.scale + self.standardize.mean

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor, w: torch.Tensor) -> None:
        """Fit the input standardization to the weighted data."""
        self.standardize.fit(self.pre(x), w)
