"""Input gradients ∂f_i/∂x_a of a CV model, the core of the generator loss, four ways.

The generator loss needs, for every sample of a minibatch, the Jacobian of the CVs
f: R^d → R^k with respect to the coordinates, and then the gradient of a loss built
from that Jacobian with respect to the network's parameters. The learner setting
``grad_mode`` picks how the Jacobian is computed (all four give the same numbers up
to floating-point round-off):

- ``double_backward`` (the default): autograd, one backward pass per output with
  ``create_graph``; the loss's backward then differentiates those backward passes.
- ``forward_jacobian``: the Jacobian is carried forward beside the activations,
  J ← W J through a linear layer and J ← σ'(z) ⊙ J through an activation, so the
  loss needs one ordinary backward. Memory and work per layer ∝ n·width·m, m the
  input dimension of the networks: cheap for toy systems (m = 2), dearer than
  ``double_backward``'s n·width·k when m ≫ k (alanine, m = 66).
- ``torch_func``: ``torch.func.vmap`` of ``jacfwd`` (when d ≤ k) or ``jacrev`` per
  sample.
- ``compile``: ``forward_jacobian`` compiled by ``torch.compile`` (Inductor; on CUDA
  with CUDA graphs, mode ``reduce-overhead``); through :func:`loss_with_gradients`, on a
  model without ``pre`` layer, the Jacobian and the loss compile as one graph. The
  first steps compile (seconds to a minute); a new batch shape compiles again.

A model's ``pre`` layer (the Kabsch alignment of molecules, :mod:`mdcv.learn.alignment`)
is not propagated forward: the Jacobian with respect to its output y = pre(x) is
computed forward, then chained through the alignment by autograd,
∂f_i/∂x = (∂y/∂x)ᵀ ∂f_i/∂y, one vector–Jacobian product per output with
``create_graph``. The derivative of the rotation is thus autograd's through the SVD,
exactly as in ``double_backward``; only the networks after it change mode.

The models of :mod:`mdcv.learn.models` provide ``forward_jacobian(y)`` (values and
Jacobian with respect to the output of ``pre``), built from :func:`mlp_jacobian`;
``double_backward`` and ``torch_func`` work on any module (also TorchScript for the
former).
"""

from __future__ import annotations

import torch
from torch import nn

from mdcv.errors import ConfigError

#: The ``grad_mode`` values of the generator and regularized-autoencoder learners.
GRAD_MODES = ("double_backward", "forward_jacobian", "torch_func", "compile")
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


def mlp_jacobian(net: nn.Sequential, h: torch.Tensor, jac: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Push values ``h`` (n, a) and their Jacobian ``jac`` (m, n or 1, a) through ``net``.

    ``net`` holds Linear and activation layers (:func:`mdcv.learn.models.mlp`). The
    Jacobian is kept as (m, n, width), m the variables differentiated by, so each
    linear layer is one matrix product; a leading (m, 1, a) broadcasts over samples
    until the first activation. Returns the outputs (n, b) and their Jacobian (m, n, b).
    """
    for layer in net:
        if isinstance(layer, nn.Linear):
            h = layer(h)
            jac = nn.functional.linear(jac, layer.weight)
        else:
            z = h
            h = layer(z)
            jac = activation_slope(layer, z, h) * jac
    return h, jac


def identity_jacobian(m: int, scale: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The Jacobian (m, 1, m) of y ↦ (y - mean) / scale, to start :func:`mlp_jacobian`."""
    return (torch.eye(m, dtype=like.dtype, device=like.device) / scale)[:, None, :]


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
    return model.forward_jacobian(y)


def _compiled(fn, device_type: str):
    """``fn`` compiled once per device type (CUDA graphs on CUDA)."""
    key = (fn, device_type)
    if key not in _COMPILED:
        options = {"mode": "reduce-overhead"} if device_type == "cuda" else {}
        _COMPILED[key] = torch.compile(fn, dynamic=False, **options)
    if device_type == "cuda":
        torch.compiler.cudagraph_mark_step_begin()
    return _COMPILED[key]


def _forward_modes(model: nn.Module, x: torch.Tensor, create_graph: bool, compiled: bool):
    fn = _compiled(_forward, x.device.type) if compiled else _forward
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
    if not hasattr(type(model), "forward_jacobian"):
        raise TypeError(f"grad_mode {mode!r} needs a model with forward_jacobian "
                        f"(mdcv.learn.models), got {type(model).__name__}; use double_backward")
    return _forward_modes(model, x, create_graph, compiled=mode == "compile")


class _JacobianThenLoss:
    """model, x, *args ↦ loss_fn(*model.forward_jacobian(x), *args): one graph to compile."""

    def __init__(self, loss_fn):
        self.loss_fn = loss_fn

    def __call__(self, model: nn.Module, x: torch.Tensor, *args):
        return self.loss_fn(*model.forward_jacobian(x), *args)


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
