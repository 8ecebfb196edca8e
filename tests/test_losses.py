import numpy as np
import pytest
import torch

from mdcv.learn.losses import deflate, generator_loss, orthonormality_penalty, weighted_moments


def ou_sample(n=4000, a=1.0, b=4.0, seed=0):
    """Exact μ-samples of OU (β = 1) and its eigenfunctions x·sqrt(a), y·sqrt(b)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g, dtype=torch.float64) / torch.tensor([a, b]).sqrt()
    return x


def eigen_fg(x, a=1.0, b=4.0):
    f = torch.stack([x[:, 0] * a**0.5, x[:, 1] * b**0.5], 1)
    grad = torch.zeros(len(x), 2, 2, dtype=x.dtype)
    grad[:, 0, 0] = a**0.5
    grad[:, 1, 1] = b**0.5
    return f, grad


def test_rayleigh_quotients_of_exact_eigenfunctions():
    x = ou_sample()
    f, grad = eigen_fg(x)
    w = torch.ones(len(x), dtype=x.dtype)
    _, parts = generator_loss(f, grad, w, torch.ones(2, dtype=x.dtype),
                              torch.tensor([1.0, 0.5], dtype=x.dtype), alpha=10.0)
    np.testing.assert_allclose(parts["rayleigh"].numpy(), [1.0, 4.0], rtol=0.05)


def test_loss_is_invariant_to_the_order_of_the_data():
    x = ou_sample(500)
    f, grad = eigen_fg(x)
    f = f + 0.3 * f[:, [1, 0]] ** 2
    w = torch.rand(len(x), dtype=x.dtype) + 0.5
    args = (torch.ones(2, dtype=x.dtype), torch.tensor([1.0, 0.5], dtype=x.dtype), 7.0)
    perm = torch.randperm(len(x))
    a, _ = generator_loss(f, grad, w, *args)
    b, _ = generator_loss(f[perm], grad[perm], w[perm], *args)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_weights_enter_every_expectation():
    x = ou_sample(300)
    f, grad = eigen_fg(x)
    w = torch.ones(len(x), dtype=x.dtype)
    w2 = w.clone()
    w2[:50] = 10.0
    args = (torch.ones(2, dtype=x.dtype), torch.tensor([1.0, 0.5], dtype=x.dtype), 1.0)
    # Duplicating rows is the same as giving them weight 2.
    dup = torch.cat([torch.arange(len(x)), torch.arange(10)])
    wd = w.clone()
    wd[:10] = 2.0
    a, _ = generator_loss(f[dup], grad[dup], w[dup], *args)
    b, _ = generator_loss(f, grad, wd, *args)
    assert a.item() == pytest.approx(b.item(), rel=1e-10)
    c, _ = generator_loss(f, grad, w2, *args)
    assert c.item() != pytest.approx(b.item(), rel=1e-6)


def test_penalty_drives_covariance_to_identity():
    torch.manual_seed(1)
    z = torch.randn(2000, 3, dtype=torch.float64)
    mix = torch.nn.Parameter(torch.randn(3, 3, dtype=torch.float64))
    w = torch.rand(2000, dtype=torch.float64)
    opt = torch.optim.Adam([mix], lr=0.05)
    for _ in range(600):
        opt.zero_grad()
        loss = orthonormality_penalty(z @ mix, w)
        loss.backward()
        opt.step()
    _, cov = weighted_moments(z @ mix.detach(), w)
    np.testing.assert_allclose(cov.numpy(), np.eye(3), atol=1e-3)


def test_deflation_orthogonalizes_and_reports_its_matrix():
    x = ou_sample(1000)
    f, grad = eigen_fg(x)
    f = torch.stack([f[:, 0], f[:, 1] + 0.7 * f[:, 0]], 1)
    grad = torch.stack([grad[:, 0], grad[:, 1] + 0.7 * grad[:, 0]], 1)
    w = torch.rand(len(x), dtype=x.dtype)
    fd, gd, mix = deflate(f, grad, w)
    _, cov = weighted_moments(fd, w)
    assert abs(cov[0, 1].item()) < 1e-10
    torch.testing.assert_close(fd, f @ mix.T)


def test_gradients_flow_to_parameters():
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    x = ou_sample(256).requires_grad_(True)
    f = net(x)
    grad = torch.stack([torch.autograd.grad(f[:, i].sum(), x, create_graph=True)[0] for i in range(2)], 1)
    loss, _ = generator_loss(f, grad, torch.ones(256, dtype=x.dtype), torch.ones(2, dtype=x.dtype),
                             torch.tensor([1.0, 0.5], dtype=x.dtype), 5.0, deflation=True)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
               for p in net.parameters())
