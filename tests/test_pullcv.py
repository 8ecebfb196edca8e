"""A dihedral CV network as a GROMACS transformation pull coordinate: round trip, length check."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
import torch

from mdcv.errors import ConfigError
from mdcv.learn.models import AutoencoderModel, EigenfunctionModel
from mdcv.md import dihedrals, expression, molecule, pullcv


@functools.cache
def frames(n: int = 300, seed: int = 0) -> torch.Tensor:
    """(n, 66) nm float64: the built molecule at random (φ, ψ), plus noise."""
    rng = np.random.default_rng(seed)
    xyz = np.stack([molecule.build_coordinates(p, s) for p, s in rng.uniform(-180, 180, (n, 2))])
    return torch.as_tensor((xyz + 0.01 * rng.standard_normal(xyz.shape)).reshape(n, -1))


def layer(names=None) -> dihedrals.DihedralFeatures:
    names, quads = dihedrals.resolve(names)
    return dihedrals.DihedralFeatures(quads, 22, names)


def model(layers, k=1, architecture="separate", bounded_first=True, activation="tanh",
          names=None, x=None) -> EigenfunctionModel:
    """A calibrated model on dihedral features with random weights and a deflation mix."""
    pre = layer(names)
    m = EigenfunctionModel(pre.out_dim, k, layers, activation, architecture, bounded_first,
                           pre=pre).double()
    x = frames() if x is None else x
    m.calibrate(x, torch.ones(len(x), dtype=torch.float64))
    with torch.no_grad():
        m.mix.copy_(torch.eye(k, dtype=torch.float64) + torch.tril(torch.rand(k, k), -1))
    return m


def variables(theta: np.ndarray) -> dict[int, np.ndarray]:
    return {j + 1: theta[:, j] for j in range(theta.shape[1])}


def test_the_evaluator_reads_muparser_expressions():
    x = {1: np.array([0.5, -1.0]), 2: np.array([2.0, 3.0])}
    ev = expression.evaluate
    np.testing.assert_allclose(ev("1+2*3-4/2", x), 5.0)
    np.testing.assert_allclose(ev("2^3^2", x), 512.0)  # right-associative
    np.testing.assert_allclose(ev("-x2^2", x), -x[2] ** 2)
    np.testing.assert_allclose(ev("1.5e-1*x1-.5", x), 0.15 * x[1] - 0.5)
    np.testing.assert_allclose(ev("tanh(x1)*cos(x2)+exp(-sin(x1))", x),
                               np.tanh(x[1]) * np.cos(x[2]) + np.exp(-np.sin(x[1])))
    np.testing.assert_allclose(ev("x3=sin(x1), x4 = x3*x2, x4-(x3)", {**x, 3: 0, 4: 0}),
                               np.sin(x[1]) * x[2] - np.sin(x[1]))
    with pytest.raises(expression.ExpressionError, match="unknown name 'log'"):
        ev("log(x1)", x)
    with pytest.raises(expression.ExpressionError, match="x5 at character 2 has no value"):
        ev("1+x5", x)
    with pytest.raises(expression.ExpressionError, match="expected 'end'"):
        ev("(x1))", x)


ROUND_TRIPS = [  # (layers, k, architecture, activation, component)
    ([8], 1, "separate", "tanh", 0),
    ([10, 10], 2, "separate", "tanh", 1),
    ([16, 16], 1, "shared", "silu", 0),
    ([12, 12, 12], 2, "shared", "tanh", 1),
]


@pytest.mark.slow  # a tiny real run: seconds
@pytest.mark.parametrize("layers, k, architecture, activation, component", ROUND_TRIPS)
def test_the_expression_reproduces_the_network_on_frames(layers, k, architecture, activation,
                                                         component):
    m = model(layers, k, architecture, activation=activation)
    x = frames(200, seed=5)  # frames other than the calibration's
    with torch.no_grad():
        expected = m(x)[:, component].numpy()
        theta = m.pre.angles(x).numpy()
    cv = pullcv.from_model(m, component)
    np.testing.assert_allclose(cv(theta), expected, atol=1e-10, rtol=0)
    for layout in ("inline", "scratch"):
        try:
            block = pullcv.pull_block(cv, nstxout=10, layout=layout)
        except ConfigError as err:
            assert layout == "inline" and "muparser accepts fewer than 20000" in str(err)
            continue
        text = block.expressions[0]
        assert len(text) < pullcv.MUPARSER_LIMIT
        used = {int(v) for v in re.findall(r"x(\d+)", text)}
        assert max(used) < block.cv_coords[0]  # only lower-index coordinates
        assert used == set(block.dihedral_coords) | set(block.scratch_coords)
        got = expression.evaluate(text, variables(theta))
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_an_autoencoder_encoder_exports_too():
    pre = layer(["phi", "psi"])
    m = AutoencoderModel(pre.out_dim, 1, [6, 6], [6], pre=pre).double()
    x = frames(100)
    m.calibrate(x, torch.ones(len(x), dtype=torch.float64))
    block = pullcv.pull_block(pullcv.from_model(m), nstxout=10)
    with torch.no_grad():
        expected, theta = m(x)[:, 0].numpy(), pre.angles(x).numpy()
    got = expression.evaluate(block.expressions[0], variables(theta))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_the_length_check_and_the_cheaper_layout():
    pullcv.check_length("x" * (pullcv.MUPARSER_LIMIT - 1))
    with pytest.raises(ConfigError, match="has 20000 characters.*fewer or narrower hidden"):
        pullcv.check_length("x" * pullcv.MUPARSER_LIMIT)
    # 2-10-10-1 on φ/ψ inlined fits and costs 3 evaluations a step: chosen over scratch.
    small = pullcv.pull_block(pullcv.from_model(model([10, 10], names=["phi", "psi"])), 10)
    assert small.layout == "inline" and small.scratch_coords == []
    # 12-16-16-1 inlined would be ~70k characters: the hidden layer goes to scratch.
    big = pullcv.from_model(model([16, 16]))
    with pytest.raises(ConfigError, match="inline layout"):
        pullcv.pull_block(big, 10, layout="inline")
    block = pullcv.pull_block(big, 10)
    assert block.layout == "scratch" and len(block.scratch_coords) == 16
    too_wide = pullcv.from_model(model([64, 64]))
    with pytest.raises(ConfigError, match=r"exported CV 1 of 1 \(scratch layout\) has \d+ "
                                          "characters; GROMACS's muparser accepts fewer"):
        pullcv.pull_block(too_wide, 10)


def test_the_block_names_groups_coordinates_and_the_awh_bias(tmp_path):
    m = model([8, 8], k=2, architecture="shared")
    cvs = [pullcv.from_model(m, 0), pullcv.from_model(m, 1)]
    awh = {"potential": "convolved", "seed": 3, "nstout": 100, "nstsample": 10,
           "nsamples_update": 10, "error_init": 10.0, "force_constant": 500.0,
           "diffusion": 0.05, "start": [-3.0, -2.5], "end": [3.0, 2.5]}
    block = pullcv.pull_block(cvs, nstxout=10, awh=awh, layout="scratch")
    heavy = {a + 1 for q in dihedrals.DEFAULT for a in dihedrals.NAMED[q]}
    assert set(block.groups) == {f"cv_a{a}" for a in heavy}
    # Component 2 mixes tanh(output 1) and output 2 (deflation): both hidden layers of the
    # shared network are stored, 16 scratch coordinates (component 1 needs 8 of them).
    assert block.dihedral_coords == [1, 2, 3, 4, 5, 6]
    assert block.scratch_coords == list(range(7, 23)) and block.cv_coords == [23, 24]
    mdp = dict(line.split(" = ", 1) for line in block.mdp.splitlines() if " = " in line)
    assert mdp["pull-ncoords"] == "24" and mdp["pull-ngroups"] == str(len(heavy))
    assert mdp["pull-nstfout"] == "0"  # restarts with -cpi need no -px/-pf
    assert mdp["pull-coord1-geometry"] == "dihedral" and mdp["pull-coord1-k"] == "0"
    assert mdp["pull-coord1-groups"] == "{0} {1} {1} {2} {2} {3}".format(
        *[list(block.groups).index(f"cv_a{a + 1}") + 1 for a in dihedrals.NAMED["phi"]])
    assert mdp["pull-coord24-geometry"] == "transformation"
    assert mdp["pull-coord24-potential-provider"] == "awh"
    assert mdp["awh1-ndim"] == "2" and mdp["awh1-dim2-coord-index"] == "24"
    assert mdp["awh1-dim2-start"] == "-2.5" and mdp["awh1-dim1-force-constant"] == "500.0"
    (tmp_path / "base.ndx").write_text("[ System ]\n1 2 3\n")
    ndx = block.write_index(tmp_path / "base.ndx", tmp_path / "cv.ndx")
    assert ndx.read_text().startswith("[ System ]\n1 2 3\n[ cv_a2 ]\n2\n")
    with pytest.raises(ConfigError, match="one start and one end per CV component"):
        pullcv.pull_block(cvs, 10, awh={**awh, "start": [-3.0]})


def test_a_trained_model_directory_exports(tmp_path):
    from mdcv.config import learner_defaults
    from mdcv.data import Dataset
    from mdcv.learn.learners import learner_class
    from mdcv.learn.learners.base import train_and_save
    from mdcv.learn.modeldir import ModelDir

    x = frames().float().numpy()
    ds = Dataset(x=x, w=np.ones(len(x)), t=np.arange(len(x), dtype=float),
                 traj=np.zeros(len(x), int), extra={"kT": np.float64(2.494)})
    s = learner_defaults("generator")
    s.update(kind="generator", name="g", k=2, layers=[6, 6], steps=5, batch_size=100,
             log_every=5, checkpoint_every=5, average_last=5, galerkin_cells=4,
             galerkin_cells_rest=2, threads=1, device="cpu", diffusion="uniform",
             features="dihedrals", dihedrals=["phi", "psi", "phi_cb"])
    train_and_save(learner_class("generator"), ds, s, tmp_path / "m", tmp_path / "ck.pt", seed=1)
    m = pullcv.load_model(tmp_path / "m")
    assert m.pre.names == ["phi", "psi", "phi_cb"]
    block = pullcv.pull_block([pullcv.from_model(m, 0), pullcv.from_model(m, 1)], nstxout=10)
    xt = torch.as_tensor(x[:50])
    with torch.no_grad():
        expected = ModelDir(tmp_path / "m").load_torchscript()(xt).double().numpy()
        theta = m.pre.angles(xt.double()).numpy()
    for j, text in enumerate(block.expressions):
        got = expression.evaluate(text, variables(theta))
        np.testing.assert_allclose(got, expected[:, j], atol=1e-5, rtol=1e-5)
    s.update(features="cartesian", dihedrals=None, name="plain")
    train_and_save(learner_class("generator"), ds, s, tmp_path / "p", tmp_path / "cp.pt", seed=1)
    with pytest.raises(ConfigError, match="'plain' was not trained on dihedrals"):
        pullcv.load_model(tmp_path / "p")


def test_only_dihedral_models_export():
    plain = EigenfunctionModel(66, 1, [4])
    with pytest.raises(ConfigError, match="train it with features: dihedrals"):
        pullcv.from_model(plain)
    relu = model([4], activation="relu")
    with pytest.raises(ConfigError, match="tanh and silu networks"):
        pullcv.from_model(relu)


@pytest.fixture(scope="module")
def vacuum(tmp_path_factory):
    """A built vacuum system: conf.gro, topol.top, base.ndx (gromacs tests only)."""
    from test_gromacs import VACUUM

    from mdcv.md import topology

    d = tmp_path_factory.mktemp("vacuum")
    molecule.write_pdb(d / "ala2.pdb")
    topology.build_system(d / "ala2.pdb", d / "conf.gro", d / "topol.top", d / "build.log",
                          VACUUM)
    topology.write_index(d / "base.ndx", topology.count_atoms(d / "conf.gro"))
    return d


def run_gmx(system, work, block: pullcv.PullCV) -> dict[str, np.ndarray]:
    """20 steps (1 fs) of vacuum alanine with ``block``, full-precision frames every 5:
    pullx (and pullf) rows, frame times (ps) and coordinates (n, 66) nm."""
    import mdtraj as md
    from test_gromacs import MDP_DIR, VACUUM

    from mdcv.md import gromacs, mdp

    work.mkdir()
    text = mdp.dynamics_mdp(VACUUM, "nvt", 0.02, MDP_DIR)
    (work / "cv.mdp").write_text(re.sub(r"(?m)^nstxout\s*=.*$", "nstxout = 5", text) + block.mdp)
    block.write_index(system / "base.ndx", work / "cv.ndx")
    gromacs.grompp(work / "cv.mdp", system / "conf.gro", system / "topol.top", work / "cv.tpr",
                   work / "grompp.log", index=work / "cv.ndx")
    gromacs.mdrun(work / "cv.tpr", work / "run", work / "mdrun.log",
                  extra=["-px", "pullx.xvg", "-pf", "pullf.xvg"])
    traj = md.load(str(work / "run" / "md.trr"), top=str(system / "conf.gro"))
    out = {"pullx": pullcv.read_xvg(work / "run" / "pullx.xvg"), "time": traj.time,
           "x": torch.as_tensor(traj.xyz.astype(np.float64).reshape(traj.n_frames, -1))}
    if (work / "run" / "pullf.xvg").exists():
        out["pullf"] = pullcv.read_xvg(work / "run" / "pullf.xvg")
    return out


def small_cv_model() -> EigenfunctionModel:
    """k = 2 on the six default dihedrals, scaled so |CV| < 1: pullx.xvg's six
    significant digits then resolve 1e-6."""
    m = model([8, 8], k=2, architecture="shared")
    with torch.no_grad():
        m.out_scale.mul_(0.2)
        m.out_shift.mul_(0.2)
    return m


@pytest.mark.gromacs
@pytest.mark.slow
def test_gromacs_evaluates_the_exported_cv_as_the_network(vacuum, tmp_path):
    """A 2D AWH bias along two exported CV components (scratch layout): pullx.xvg's CV
    values equal the network on the saved full-precision frames to 1e-5."""
    m = small_cv_model()
    with torch.no_grad():
        values = m(frames())
    awh = {"potential": "convolved", "seed": 1, "nstout": 100, "nstsample": 10,
           "nsamples_update": 10, "error_init": 10.0, "force_constant": 2000.0,
           "diffusion": 0.01, "start": (values.min(0).values - 0.5).tolist(),
           "end": (values.max(0).values + 0.5).tolist()}
    block = pullcv.pull_block([pullcv.from_model(m, 0), pullcv.from_model(m, 1)], nstxout=5,
                              awh=awh, layout="scratch")
    out = run_gmx(vacuum, tmp_path / "awh", block)
    pullx = out["pullx"]
    assert len(pullx) == 5
    np.testing.assert_allclose(out["time"], pullx[:, 0], atol=1e-6)
    with torch.no_grad():
        expected = m(out["x"]).numpy()
        theta = m.pre.angles(out["x"]).numpy()
    np.testing.assert_allclose(pullx[:, 1:7], np.degrees(theta), atol=2e-3)  # pullx: degrees
    assert np.abs(expected).max() < 1
    np.testing.assert_allclose(pullx[:, block.cv_coords], expected, atol=1e-5, rtol=0)


@pytest.mark.gromacs
@pytest.mark.slow
def test_gromacs_applies_the_cv_force_to_the_dihedrals_by_the_chain_rule(vacuum, tmp_path):
    """Umbrellas on two exported CVs: the force on each dihedral (pullf.xvg, kJ/mol/rad)
    is Σ_c F_c ∂CV_c/∂θ; none reaches the scratch coordinates."""
    m = small_cv_model()
    cvs = [pullcv.from_model(m, 0), pullcv.from_model(m, 1)]
    block = pullcv.pull_block(cvs, nstxout=5, nstfout=5, layout="scratch",
                              umbrella={"k": 5000.0, "init": [0.3, -0.2]})
    out = run_gmx(vacuum, tmp_path / "umbrella", block)
    pullx, pullf = out["pullx"], out["pullf"]
    theta, h = np.radians(pullx[:, 1:7]), 1e-6
    grads = np.stack([np.stack([(cv(theta + h * e) - cv(theta - h * e)) / (2 * h)
                                for e in np.eye(6)], 1) for cv in cvs], 1)  # (n, 2, 6)
    force_cv = pullf[:, block.cv_coords]
    np.testing.assert_allclose(force_cv, -5000.0 * (pullx[:, block.cv_coords] - [0.3, -0.2]),
                               rtol=1e-4, atol=1e-3)
    expected = np.einsum("nc,ncj->nj", force_cv, grads)
    assert np.abs(expected).max() > 1.0  # a real force, kJ/mol/rad
    np.testing.assert_allclose(pullf[:, 1:7], expected, rtol=1e-4, atol=1e-3)
    assert np.abs(pullf[:, block.scratch_coords]).max() == 0
