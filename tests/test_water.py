"""The water protocol's settings: heavy hydrogens, the time step they allow, the box
check against the cut-off, per-system AWH overrides and the AWH half-run comparison."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mdcv import config as mc
from mdcv.errors import ConfigError
from mdcv.md import convergence, gromacs, molecule, pmf, settings, topology

MDP_DIR = Path(__file__).resolve().parents[1] / "workflow" / "mdp"


def load(root, tmp_path, water: dict):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"md": {"systems": {"ala2-water": water}}}))
    return mc.load([overlay], root)


def test_heavy_hydrogens_default_off_and_validated(root, tmp_path):
    bare = {"md": {"systems": {"ala2-vacuum": {}, "ala2-water": {}}}}
    mc.validate(bare)
    for system in ("ala2-vacuum", "ala2-water"):
        assert bare["md"]["systems"][system]["heavy_hydrogens"] is False
        assert "heavy_hydrogens" not in settings.topology_settings(bare, system)
    cfg = mc.load([], root)  # the study: vacuum as before, water with heavy hydrogens
    assert "heavy_hydrogens" not in settings.topology_settings(cfg, "ala2-vacuum")
    assert settings.topology_settings(cfg, "ala2-water")["heavy_hydrogens"] is True
    with pytest.raises(ConfigError, match="heavy_hydrogens"):
        load(root, tmp_path, {"heavy_hydrogens": "yes"})


def test_heavy_hydrogens_reach_the_topology_settings(root, tmp_path):
    cfg = load(root, tmp_path, {"heavy_hydrogens": True, "constraints": "all-bonds",
                                "dt": 0.004})
    top = settings.topology_settings(cfg, "ala2-water")
    assert top["heavy_hydrogens"] is True and top["cutoff"] == cfg["md"]["systems"]["ala2-water"]["cutoff"]
    assert settings.stage_settings(cfg, "ala2-water", "nvt")["dt"] == 0.004


@pytest.mark.parametrize("water", [
    {"dt": 0.004, "heavy_hydrogens": False, "constraints": "h-bonds"},
    {"dt": 0.004, "heavy_hydrogens": False, "constraints": "all-bonds"},
    {"dt": 0.004, "heavy_hydrogens": True, "constraints": "h-bonds"},
])
def test_a_4_fs_step_needs_all_bonds_and_heavy_hydrogens(root, tmp_path, water):
    with pytest.raises(ConfigError, match=r"ala2-water\.dt = 0\.004 ps needs constraints: "
                                          r"all-bonds and heavy_hydrogens: true"):
        load(root, tmp_path, water)


def test_per_system_awh_overrides_merge_over_the_section(root, tmp_path):
    cfg = load(root, tmp_path, {"awh": {"force_constant": 250.0}})
    water = settings.stage_settings(cfg, "ala2-water", "awh")["awh"]
    vacuum = settings.stage_settings(cfg, "ala2-vacuum", "awh")["awh"]
    assert water["force_constant"] == 250.0 and vacuum["force_constant"] == 1000.0
    assert water["diffusion"] == vacuum["diffusion"]
    with pytest.raises(ConfigError, match="awh"):
        load(root, tmp_path, {"awh": {"growth": "linear"}})


def test_box_shorter_than_the_cutoff_allows_is_refused():
    # rhombic dodecahedron (xy-square) of image distance 2.0 nm: ok for 0.8 nm, not 1.0 nm
    d = 2.0
    box = np.array([[d, 0, 0], [0, d, 0], [d / 2, d / 2, d * np.sqrt(2) / 2]])
    assert topology.shortest_image(box) == pytest.approx(d)
    topology.check_box(box, diameter=0.9, cutoff=0.8)
    with pytest.raises(ConfigError, match=r"shortest periodic image distance is 2\.000 nm.*"
                                          r"raise box_distance"):
        topology.check_box(box, diameter=0.9, cutoff=1.0, system="ala2-water")
    with pytest.raises(ConfigError, match="solute diameter 1.500"):
        topology.check_box(box, diameter=1.5, cutoff=0.7)


def test_vacuum_box_is_checked_with_the_config(root, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"md": {"systems": {"ala2-vacuum": {"box": 4.0}}}}))
    with pytest.raises(ConfigError, match="ala2-vacuum.*below"):
        mc.load([overlay], root)


def test_read_box_of_a_triclinic_gro(tmp_path):
    gro = tmp_path / "b.gro"
    gro.write_text("t\n0\n   2.50000   2.50000   1.76777   0.00000   0.00000   0.00000"
                   "   0.00000   1.25000   1.25000\n")
    box = topology.read_box(gro)
    assert box[2].tolist() == [1.25, 1.25, 1.76777]
    assert topology.shortest_image(box) == pytest.approx(2.5, abs=1e-4)


def test_pdb2gmx_gets_heavyh_only_when_asked(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(gromacs, "run", lambda args, *a, **k: calls.append(list(map(str, args))))
    monkeypatch.setattr(gromacs, "forcefields", lambda: set())
    for heavy in (False, True):
        gromacs.pdb2gmx(tmp_path / "a.pdb", "s.gro", "t.top", tmp_path / "l.log",
                        "amber99sb-ildn", "tip3p", cwd=tmp_path, heavy_hydrogens=heavy)
    assert "-heavyh" not in calls[0] and calls[1][-1] == "-heavyh"


def _pmf(f):
    grid = np.linspace(-np.pi, np.pi, f.shape[0], endpoint=False)
    return pmf.Pmf(grid, grid, f)


def test_half_run_comparison_in_kT():
    kT = 2.5
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 15, (48, 48))
    assert convergence.compare_pmfs(_pmf(base), _pmf(base + 3.0), 12, kT, 20.0)[
        "max_abs_dF_kT"] == pytest.approx(0, abs=1e-9)
    bumped = base.copy()
    bumped[:4, :4] += 5.0  # one 12x12 bin raised by 5 kJ/mol = 2 kT
    row = convergence.compare_pmfs(_pmf(base), _pmf(bumped), 12, kT, 40.0)
    assert row["bins_compared"] == 144
    assert row["max_abs_dF_kT"] == pytest.approx(2.0 * 143 / 144, rel=1e-6)
    high = convergence.compare_pmfs(_pmf(base), _pmf(bumped), 12, kT, 5.0)
    assert high["bins_compared"] < 144


@pytest.mark.gromacs
@pytest.mark.slow
def test_water_box_with_heavy_hydrogens_builds(tmp_path):
    molecule.write_pdb(tmp_path / "ala2.pdb")
    s = {"name": "ala2-water", "forcefield": "amber99sb-ildn", "solvent": "water",
         "water": "tip3p", "box_type": "dodecahedron", "box_distance": 0.8, "cutoff": 1.0,
         "heavy_hydrogens": True}
    topology.build_system(tmp_path / "ala2.pdb", tmp_path / "conf.gro", tmp_path / "topol.top",
                          tmp_path / "build.log", s)
    assert "-heavyh" in (tmp_path / "build.log").read_text()
    atoms = (tmp_path / "topol.top").read_text().split("[ atoms ]")[1].split("[ bonds ]")[0]
    masses = {line.split()[4]: float(line.split()[7]) for line in atoms.splitlines()
              if line.strip() and not line.lstrip().startswith(";")}
    assert masses["HA"] == pytest.approx(4.032) and masses["CA"] < 12.0
    length = topology.shortest_image(topology.read_box(tmp_path / "conf.gro"))
    assert length >= 2.0 + topology.BOX_MARGIN
    with pytest.raises(ConfigError, match="raise box_distance"):
        topology.build_system(tmp_path / "ala2.pdb", tmp_path / "c2.gro", tmp_path / "t2" / "topol.top",
                              tmp_path / "build2.log", {**s, "box_distance": 0.5})


def test_summary_shows_the_awh_convergence_table():
    from mdcv.analysis import summary

    assert "awh_convergence" in [key for key, _, _ in summary.SECTIONS]
    table = summary.awh_convergence_section(
        pd.DataFrame({"system": ["ala2-water"], "max_abs_dF_kT": [0.8]}))
    assert "ala2-water" in summary.page("", {"awh_convergence": table})


@pytest.mark.gromacs
@pytest.mark.slow
def test_halves_row_compares_the_outputs_at_half_and_at_the_length(tmp_path):
    from mdcv.md import mdp

    molecule.write_pdb(tmp_path / "ala2.pdb")
    vac = {"name": "ala2-vacuum", "seed": 7, "solvent": "vacuum", "forcefield": "amber99sb-ildn",
           "water": "tip3p", "box": 5.0, "cutoff": 2.0, "dt": 0.001, "constraints": "none",
           "temperature": 300.0, "friction": 1.0, "save_every_ps": 0.1, "energy_every_ps": 0.1,
           "awh": {"force_constant": 1000.0, "diffusion": 0.1, "error_init": 10.0,
                   "potential": "convolved", "nstsample": 10, "nsamples_update": 10,
                   "output_every": 1.0}}
    log = tmp_path / "run.log"
    topology.build_system(tmp_path / "ala2.pdb", tmp_path / "conf.gro", tmp_path / "topol.top",
                          log, vac)
    topology.write_index(tmp_path / "index.ndx", topology.count_atoms(tmp_path / "conf.gro"))
    (tmp_path / "awh.mdp").write_text(mdp.dynamics_mdp(vac, "awh", 4.0, MDP_DIR))
    gromacs.grompp(tmp_path / "awh.mdp", tmp_path / "conf.gro", tmp_path / "topol.top",
                   tmp_path / "awh.tpr", log, index=tmp_path / "index.ndx")
    files = gromacs.mdrun(tmp_path / "awh.tpr", tmp_path / "work", log)
    kT = mdp.kT(300.0)
    row = convergence.halves_row("ala2-vacuum", files["edr"], tmp_path / "awh.tpr",
                                 tmp_path / "halves", log, 4.0, 12, kT, 1e3)
    assert row["half_ns"] == 0.002 and row["bins_compared"] == 144
    half = pmf.read_awh_xvg(tmp_path / "halves" / "pmf_half.xvg")
    final = pmf.read_awh_xvg(tmp_path / "halves" / "pmf_final.xvg")
    expected = convergence.compare_pmfs(half, final, 12, kT, 1e3)["max_abs_dF_kT"]
    assert row["max_abs_dF_kT"] == pytest.approx(expected) and expected > 0
    early = convergence.halves_row("ala2-vacuum", files["edr"], tmp_path / "awh.tpr",
                                   tmp_path / "early", log, 2.0, 12, kT, 1e3)
    assert early["max_abs_dF_kT"] != pytest.approx(expected)  # t = 1 ps against 2 ps
