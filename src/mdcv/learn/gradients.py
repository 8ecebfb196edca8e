"""Input gradients ∂f_i/∂x_a of a CV model, the core of the generator loss, five ways.

The generator loss needs, for every sample of a minibatch, the Jacobian of the CVs
f: R^d → R^k with respect to the coordinates, and then the gradient of a loss built
from that Jacobian with respect to the network's parameters. The learner setting
``grad_mode`` picks how the Jacobian is computed (all give the same numbers up to
floating-point round-off):

- ``double_backward`` (the default): autograd, one backward pass per output with
  ``create_graph``; the loss's backward then differentiates those backward passes.
- ``forward_jacobian``: the Jacobian is carried forward beside the activations,
  J ← W J through a linear layer and J ← σ'(z) ⊙ J through an activation, so the
  loss needs one ordinary backward. Memory and work per layer ∝ n·width·m, m the
  input dimension of the networks: cheap for toy systems (m = 2), dearer than
  ``double_backward``'s n·width·k when m ≫ k (alanine, m = 66).
- ``reverse_jacobian``: the gradient of each output propagated back through the
  layers as ordinary tensor operations, δ ← (σ'(z) ⊙ δ) W, from the activations'
  slopes kept in the forward pass; work ∝ n·width per output, as autograd's, and the
  loss again needs one ordinary backward.
- ``torch_func``: ``torch.func.vmap`` of ``jacfwd`` (when d ≤ k) or ``jacrev`` per
  sample (any module).
- ``compile``: ``reverse_jacobian`` compiled by ``torch.compile`` (Inductor; on CUDA
  with CUDA graphs, mode ``reduce-overhead``); through :func:`loss_with_gradients`, on a
  model without ``pre`` layer, the Jacobian and the loss compile as one graph. The
  first steps compile (seconds to a minute); a new batch shape compiles again.

A model's ``pre`` layer (the Kabsch alignment of molecules, :mod:`mdcv.learn.alignment`,
or the dihedral features) is not propagated explicitly: the Jacobian with respect to
its output y = pre(x) is computed explicitly, then chained through that layer by
autograd, ∂f_i/∂x = (∂y/∂x)ᵀ ∂f_i/∂y, one vector–Jacobian product per output with
``create_graph``. The derivative of the rotation is thus autograd's through the SVD,
exactly as in ``double_backward``; only the networks after it change mode.

The models of :mod:`mdcv.learn.models` provide ``explicit_jacobian(y, reverse)`` (values
and Jacobian with respect to the output of ``pre``), built from :func:`mlp_jacobian`;
``double_backward`` and ``torch_func`` work on any module (also TorchScript for the
former).
"""

from __future__ import annotations

import torch
from torch import nn

from mdcv.errors import ConfigError

#: The ``grad_mode`` values of the generator and regularized-autoencoder learners.
GRAD_MODES = ("double_backward", "forward_jacobian", "reverse_jacobian", "torch_func", "compile")
#: What a learner uses when its settings do not say.
DEFAULT_MODE = "double_backward"


def check_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`GRAD_MODES`, else a ConfigError naming them."""
    if mode not in GRAD_MODES:
        raise ConfigError(f"grad_mode must be one of {list(GRAD_MODES)}, got {mode!r}")
    return mode


def activation_slope(layer: nn.Module, z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """σ'(z) of an activation layer, from its input ``z`` and output ``out`` (same shape)."""
    if isinstance(layer, nn.Tanh):
        return 1 - out * out
    if isinstance(layer, nn.Softplus):
        bz = layer.beta * z
        return torch.where(bz > layer.threshold, torch.ones_like(z), torch.sigmoid(bz))
    if isinstance(layer, nn.SiLU):
        s = torch.sigmoid(z)
        return s * (1 + z * (1 - s))
    if isinstance(layer, nn.ELU):
        return torch.where(z > 0, torch.ones_like(z), out + layer.alpha)
    if isinstance(layer, nn.ReLU):
        return (z > 0).to(z.dtype)
    raise TypeError(f"forward Jacobian: no derivative for layer {layer!r}; use grad_mode "
                    "double_backward")


def mlp_jacobian(net: nn.Sequential, h: torch.Tensor, reverse: bool = False
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Outputs (n, b) of ``net`` at ``h`` (n, a) and their Jacobian (n, b, a), by explicit
    propagation through its layers: forward (the Jacobian kept as (a, n, width), so a
    linear layer is one matrix product) or ``reverse`` (the gradient of each output
    kept as (b, n, width), from the slopes σ'(z) of the forward pass).

    ``net``: Linear layers with one activation between consecutive ones
    (:func:`mdcv.learn.models.mlp`).
    """
    linears = [layer for layer in net if isinstance(layer, nn.Linear)]
    if not isinstance(net[-1], nn.Linear) or len(net) != 2 * len(linears) - 1:
        raise TypeError(f"explicit Jacobian: {net!r} is not Linear layers with one activation "
                        "between them; use grad_mode double_backward")
    if not reverse:  # (a, 1, a) identity: broadcasts over samples until the first activation
        jac = torch.eye(h.shape[1], dtype=h.dtype, device=h.device)[:, None, :]
    slopes = []
    for layer in net:
        if isinstance(layer, nn.Linear):
            h = layer(h)
            if not reverse:
                jac = nn.functional.linear(jac, layer.weight)
        else:
            z = h
            h = layer(z)
            slopes.append(activation_slope(layer, z, h))
            if not reverse:
                jac = slopes[-1] * jac
    if not reverse:
        return h, jac.permute(1, 2, 0)
    grad = linears[-1].weight[:, None, :]  # (b, 1, width): ∂ out / ∂ last activations
    for lin, slope in zip(reversed(linears[:-1]), reversed(slopes), strict=True):
        grad = (grad * slope) @ lin.weight
    return h, grad.expand(-1, h.shape[0], -1).permute(1, 0, 2)


def _double_backward(model: nn.Module, x: torch.Tensor, create_graph: bool):
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        f = model(x)
        grads = [
            torch.autograd.grad(f[:, i].sum(), x, create_graph=create_graph,
                                retain_graph=True)[0]
            for i in range(f.shape[1])
        ]
    return f, torch.stack(grads, dim=1)


def _torch_func(model: nn.Module, x: torch.Tensor, create_graph: bool):
    def one(xi):
        f = model(xi[None])[0]
        return f, f

    k = int(model.k)
    jac_fn = torch.func.jacfwd if x.shape[1] <= k else torch.func.jacrev
    with torch.enable_grad():
        grad, f = torch.func.vmap(jac_fn(one, has_aux=True))(x.detach())
    return f, (grad if create_graph else grad.detach())


_COMPILED: dict[tuple, object] = {}


def _forward(model: nn.Module, y: torch.Tensor):
    return model.explicit_jacobian(y)


def _reverse(model: nn.Module, y: torch.Tensor):
    return model.explicit_jacobian(y, reverse=True)


#: What ``compile`` compiles: the reverse propagation (per output, work as autograd's).
COMPILED_DIRECTION = _reverse


def _compiled(fn, device_type: str):
    """``fn`` compiled once per device type (CUDA graphs on CUDA)."""
    key = (fn, device_type)
    if key not in _COMPILED:
        options = {"mode": "reduce-overhead"} if device_type == "cuda" else {}
        _COMPILED[key] = torch.compile(fn, dynamic=False, **options)
    if device_type == "cuda":
        torch.compiler.cudagraph_mark_step_begin()
    return _COMPILED[key]


def _explicit_modes(model: nn.Module, x: torch.Tensor, create_graph: bool, mode: str):
    fn = {"forward_jacobian": _forward, "reverse_jacobian": _reverse}.get(mode)
    if mode == "compile":
        fn = _compiled(COMPILED_DIRECTION, x.device.type)
    with torch.enable_grad():
        if isinstance(model.pre, nn.Identity):
            f, jac = fn(model, x.detach())
            return f, (jac if create_graph else jac.detach())
        x = x.detach().requires_grad_(True)
        y = model.pre(x)
        f, jac_y = fn(model, y)
        grads = [torch.autograd.grad(y, x, jac_y[:, i], create_graph=create_graph,
                                     retain_graph=True)[0] for i in range(f.shape[1])]
    return f, torch.stack(grads, dim=1)


def values_and_gradients(model: nn.Module, x: torch.Tensor, create_graph: bool = False,
                         mode: str = DEFAULT_MODE) -> tuple[torch.Tensor, torch.Tensor]:
    """Model outputs f (n, k) and their gradients ∂f_i/∂x (n, k, d), in ``x``'s units.

    ``mode``: one of :data:`GRAD_MODES` (see the module docstring). With
    ``create_graph`` the gradients carry a graph, so a loss built from them can be
    backpropagated to the parameters; without it they are detached (values keep theirs).
    Never a loop over samples.
    """
    if mode == "double_backward":
        return _double_backward(model, x, create_graph)
    check_mode(mode)
    if mode == "torch_func":
        return _torch_func(model, x, create_graph)
    if not hasattr(type(model), "explicit_jacobian"):
        raise TypeError(f"grad_mode {mode!r} needs a model with explicit_jacobian "
                        f"(mdcv.learn.models), got {type(model).__name__}; use double_backward")
    return _explicit_modes(model, x, create_graph, mode)


class _JacobianThenLoss:
    """model, x, *args ↦ loss_fn(*COMPILED_DIRECTION(model, x), *args): one graph to compile."""

    def __init__(self, loss_fn):
        self.loss_fn = loss_fn

    def __call__(self, model: nn.Module, x: torch.Tensor, *args):
        return self.loss_fn(*COMPILED_DIRECTION(model, x), *args)


_LOSSES: dict = {}


def loss_with_gradients(loss_fn, model: nn.Module, x: torch.Tensor, mode: str, *args):
    """``loss_fn(f, grad, *args)`` of the model's values f (n, k) and input gradients
    grad (n, k, d) at ``x``, with the graph for the loss's backward.

    The same as :func:`values_and_gradients` (``create_graph``) followed by ``loss_fn``;
    with ``mode`` ``compile`` on a model without ``pre`` layer both compile together.
    """
    if mode == "compile" and isinstance(getattr(model, "pre", None), nn.Identity):
        whole = _LOSSES.setdefault(loss_fn, _JacobianThenLoss(loss_fn))
        with torch.enable_grad():
            return _compiled(whole, x.device.type)(model, x.detach(), *args)
    f, grad = values_and_gradients(model, x, create_graph=True, mode=mode)
    return loss_fn(f, grad, *args)
