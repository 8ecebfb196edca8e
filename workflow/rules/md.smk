# GROMACS chain for alanine dipeptide: build, minimize, equilibrate, AWH free energy along
# (φ, ψ), fixed CMAP bias, biased and unbiased production. Logic lives in src/mdcv
# (gromacs.py is the only caller of gmx); runs continue from their checkpoints, kept
# under results/{system}/md/work/ where Snakemake does not delete them.
from mdcv.plots import md as mdplots
from mdcv.md import settings as mdsettings  # noqa: E402, F401

MD_SYSTEMS = mdcv_config.md_systems(config)
MD_SYSTEM_RE = "|".join(MD_SYSTEMS) or "__none__"
MDP_DIR = str(Path(workflow.basedir, "workflow", "mdp"))
GROMACS_ENV = "../../envs/gromacs.yaml"


md_settings = lambda wc: mdsettings.system_settings(config, wc.system)
stage_settings = lambda wc: mdsettings.stage_settings(config, wc.system, wc.stage)
stage_templates = lambda wc: mdsettings.stage_templates(config, wc.system, wc.stage, MDP_DIR)
md_targets = lambda: mdsettings.targets(config, MD_SYSTEMS)  # final outputs, for `rule all`
mdp_dir = lambda wc, input: str(Path(input.templates[0]).parent)


rule md_all:
    input:
        md_targets(),


rule md_molecule:
    output:
        pdb="results/{system}/md/build/ala2.pdb",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/md/{system}/molecule.log",
    params:
        dihedrals=lambda wc: config["md"]["initial_dihedrals"],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_molecule.py"


rule md_topology:
    input:
        pdb="results/{system}/md/build/ala2.pdb",
    output:
        gro="results/{system}/md/topology/conf.gro",
        top="results/{system}/md/topology/topol.top",
        index="results/{system}/md/topology/index.ndx",
        solute="results/{system}/md/topology/solute.pdb",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/md/{system}/topology.log",
    params:
        settings=lambda wc: mdsettings.topology_settings(config, wc.system),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_topology.py"


rule md_em:
    input:
        gro="results/{system}/md/topology/conf.gro",
        top="results/{system}/md/topology/topol.top",
        index="results/{system}/md/topology/index.ndx",
        templates=lambda wc: mdsettings.stage_templates(config, wc.system, "em", MDP_DIR),
    output:
        tpr="results/{system}/md/em/topol.tpr",
        gro="results/{system}/md/em/confout.gro",
        edr="results/{system}/md/em/ener.edr",
        md_log="results/{system}/md/em/md.log",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/md/{system}/em.log",
    params:
        settings=lambda wc: mdsettings.stage_settings(config, wc.system, "em"),
        template_dir=mdp_dir,
        workdir="results/{system}/md/work/em",
    threads: lambda wc: md_settings(wc)["threads"]
    resources:
        mem_mb=1000,
        runtime=15,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_em.py"


rule md_dynamics:
    input:
        unpack(lambda wc: mdsettings.stage_inputs(config, wc.system, wc.stage)),
        templates=stage_templates,
    output:
        tpr="results/{system}/md/{stage}/topol.tpr",
        gro="results/{system}/md/{stage}/confout.gro",
        cpt="results/{system}/md/{stage}/state.cpt",
        edr="results/{system}/md/{stage}/ener.edr",
        xtc="results/{system}/md/{stage}/traj.xtc",
        md_log="results/{system}/md/{stage}/md.log",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
        stage="nvt|npt|awh|biased",
    log:
        "results/logs/md/{system}/{stage}.log",
    benchmark:
        "results/benchmarks/md/{system}_{stage}.tsv"
    params:
        settings=stage_settings,
        stage="{stage}",
        run=0,
        length_ps=lambda wc: mdsettings.stage_length_ps(md_settings(wc), wc.stage),
        template_dir=mdp_dir,
        workdir="results/{system}/md/work/{stage}",
    threads: lambda wc: md_settings(wc)["threads"]
    resources:
        mem_mb=2000,
        runtime=lambda wc: mdsettings.runtime_minutes(md_settings(wc), wc.stage),
    priority: 10  # the chain to the biased run is the critical path (unbiased: 0)
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_run.py"


# Unbiased runs (fresh velocities from the equilibrated state): off the critical path.
rule md_unbiased:
    input:
        unpack(lambda wc: mdsettings.stage_inputs(config, wc.system, wc.stage)),
        templates=stage_templates,
    output:
        tpr="results/{system}/md/{stage}/topol.tpr",
        gro="results/{system}/md/{stage}/confout.gro",
        cpt="results/{system}/md/{stage}/state.cpt",
        edr="results/{system}/md/{stage}/ener.edr",
        xtc="results/{system}/md/{stage}/traj.xtc",
        md_log="results/{system}/md/{stage}/md.log",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
        stage="unbiased[0-9]+",
    log:
        "results/logs/md/{system}/{stage}.log",
    benchmark:
        "results/benchmarks/md/{system}_{stage}.tsv"
    params:
        settings=stage_settings,
        stage="unbiased",
        run=lambda wc: int(wc.stage[len("unbiased"):]),
        length_ps=lambda wc: mdsettings.stage_length_ps(md_settings(wc), wc.stage),
        template_dir=mdp_dir,
        workdir="results/{system}/md/work/{stage}",
    threads: lambda wc: md_settings(wc)["threads"]
    resources:
        mem_mb=2000,
        runtime=lambda wc: mdsettings.runtime_minutes(md_settings(wc), wc.stage),
    priority: 0
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_run.py"


rule md_pmf:
    input:
        edr="results/{system}/md/awh/ener.edr",
        tpr="results/{system}/md/awh/topol.tpr",
    output:
        xvg="results/{system}/md/awh/pmf.xvg",
        npz="results/{system}/md/awh/pmf.npz",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/md/{system}/pmf.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_pmf.py"


rule md_bias:
    input:
        pmf="results/{system}/md/awh/pmf.npz",
        top="results/{system}/md/topology/topol.top",
    output:
        top="results/{system}/md/topology/topol_biased.top",
        grid="results/{system}/md/bias/grid.npz",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/md/{system}/bias.log",
    params:
        bias=lambda wc: md_settings(wc)["bias"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_bias.py"
