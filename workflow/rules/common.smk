# Config preparation, the systems of each stage, wildcard constraints (declared once, here)
# and the few helpers every stage file uses. Planning lives in mdcv.workflow.
import os
import sys
from pathlib import Path

# mdcv is imported from src/ by this file and, through PYTHONPATH, by every job
# (also inside per-rule conda environments and on cluster nodes).
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
# (update(), not os.environ[...] =: the linter would ask for an `envvars:` assertion,
# but PYTHONPATH is set here, not required from the user.)
os.environ.update(PYTHONPATH=os.pathsep.join(
    [SRC] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != SRC]
))
from mdcv import config as mdcv_config  # noqa: E402  (pure Python, no torch)
from mdcv.loop import settings as loop_settings  # noqa: E402
from mdcv.md import settings as mdsettings  # noqa: E402
from mdcv.plots import md as mdplots  # noqa: E402
from mdcv.workflow import alanine as plan_alanine  # noqa: E402
from mdcv.workflow import inputs as plan_inputs  # noqa: E402
from mdcv.workflow import jobs as plan_jobs  # noqa: E402
from mdcv.workflow import params as plan_params  # noqa: E402
from mdcv.workflow import paths  # noqa: E402
from mdcv.workflow import resources as plan_resources  # noqa: E402
from mdcv.workflow import targets as plan_targets  # noqa: E402
from mdcv.workflow import toycv  # noqa: E402


# Validate, fill defaults and check once, before any job; a bad config ends the run with
# one line naming the key and the fix (sys.exit: no traceback).
try:
    mdcv_config.prepare(config, base_dir=workflow.basedir,
                        sources="config/config.yaml or a --configfile overlay")
except mdcv_config.ConfigError as exc:
    sys.exit(f"mdcv: config error: {exc}")

TOY_SYSTEMS = mdcv_config.toy_systems(config)
MD_SYSTEMS = mdcv_config.md_systems(config)
ALANINE_SYSTEMS = plan_alanine.systems(config)
REFERENCE_SYSTEMS = plan_alanine.reference_systems(config)
MDP_DIR = str(Path(workflow.basedir, "workflow", "mdp"))
TRAIN_VARIANTS = plan_params.train_variants(config, plan_targets.trainings(config))
ML_ENV = "../../envs/ml.yaml"
GROMACS_ENV = "../../envs/gromacs.yaml"
TRAIN_ENV = f"../../envs/{config['train_env']}.yaml"  # ml, or ml-gpu (profiles/slurm-gpu)


def one_of(names):
    """A wildcard constraint matching exactly ``names`` (never matching when empty)."""
    return "|".join(names) or "__none__"


# Each wildcard name means one thing in every rule: {toy} a toy system, {md_system} an
# MD system, {ala} an alanine-stage system, {ref} a system with references, {system} any;
# {learner} any learner, {plain,selecting,crossfit}_learner the learners of each train
# variant (train.smk), {ala_learner} an alanine-stage learner.
wildcard_constraints:
    system=one_of(TOY_SYSTEMS + MD_SYSTEMS),
    toy=one_of(TOY_SYSTEMS),
    md_system=one_of(MD_SYSTEMS),
    ala=one_of(ALANINE_SYSTEMS),
    ref=one_of(REFERENCE_SYSTEMS),
    learner="[A-Za-z0-9_-]+",
    **{name: one_of(names) for name, names in TRAIN_VARIANTS.items()},
    ala_learner=one_of(plan_alanine.all_learners(config)),
    fold="[0-9]+",
    dataset="biased|unbiased",
    dyn="bd|langevin",
    stage="nvt|npt|awh|biased|unbiased[0-9]+",
    ae_panel="autoencoders|autoencoder_[A-Za-z0-9_-]+",
    loop_toy=one_of(loop_settings.toys(config)),
    round="[0-9]+",
    next_round="[1-9][0-9]*",


jobs = plan_jobs.Jobs(config, MDP_DIR)  # input, params and resource functions of the rules
seed_for = jobs.seed


def figure_output(name, caption, category, subcategory=None, **labels):
    """A figure's PNG (in the report, with its caption and labels) and PDF."""
    where = {"subcategory": subcategory} if subcategory else {}
    return {"png": report(paths.figure(name), caption=f"../report/{caption}.rst",
                          category=category, labels=labels, **where),
            "pdf": paths.figure(name, "pdf")}


def alanine_figure(panel):
    """The PNG and PDF of one panel of an alanine system's figures."""
    return figure_output(f"alanine_{{ala}}_{panel}", "alanine_figures", "alanine dipeptide",
                         "{ala}", system="{ala}", panel=panel)


def all_targets():
    """The study's final outputs (mdcv.workflow.targets), for `rule all`."""
    return plan_targets.all_targets(config)
