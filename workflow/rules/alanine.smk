# Alanine dipeptide learning and its independent MSM references (issue 7). The learners
# themselves train through the generic `train` rule (train.smk); this file adds the MSM
# references (many short unbiased GROMACS runs: Brownian `bd` and Langevin `sd`), the
# eigenvalue table and the alanine figures. Logic lives in mdcv.reference.runs, mdcv.reference.msm,
# mdcv.analysis.alanine and mdcv.plots.alanine.
from mdcv.analysis import alanine as mdcv_alanine  # noqa: E402

ALANINE_SYSTEMS = mdcv_alanine.systems(config)
REFERENCE_SYSTEMS = mdcv_alanine.reference_systems(config)
ALANINE_REF = config["alanine"]["reference"]
alanine_targets = lambda: mdcv_alanine.targets(config)  # final outputs, for `rule all`


rule alanine_reference_runs:
    input:
        biased="results/{system}/dataset/biased.npz",
        xtc="results/{system}/md/biased/traj.xtc",
        solute="results/{system}/md/topology/solute.pdb",
        gro="results/{system}/md/topology/conf.gro",
        reference="results/{system}/md/em/confout.gro",
        top="results/{system}/md/topology/topol.top",
        index="results/{system}/md/topology/index.ndx",
        templates=lambda wc: mdsettings.stage_templates(config, wc.system, "unbiased", MDP_DIR),
    output:
        runs="results/{system}/reference/{dyn}/runs.npz",
    wildcard_constraints:
        system="|".join(REFERENCE_SYSTEMS) or "__none__",
        dyn="bd|langevin",
    log:
        "results/logs/alanine/{system}/reference_{dyn}.log",
    benchmark:
        "results/benchmarks/alanine/{system}_reference_{dyn}.tsv"
    params:
        settings=lambda wc: mdsettings.stage_settings(config, wc.system, "unbiased0"),
        reference=ALANINE_REF,
        dynamics="{dyn}",
        atoms=lambda wc: md_settings(wc)["features"]["atoms"],
        seed=seed_for("alanine_reference"),
        template_dir=mdp_dir,
        workdir="results/{system}/md/work/reference_{dyn}",
    threads: ALANINE_REF["threads"]
    resources:
        mem_mb=2000,
        runtime=lambda wc: mdcv_alanine.reference_runtime(ALANINE_REF, wc.dyn),
    conda:
        GROMACS_ENV
    script:
        "../scripts/alanine_reference_runs.py"


rule alanine_msm:
    input:
        runs="results/{system}/reference/{dyn}/runs.npz",
        biased="results/{system}/dataset/biased.npz",
    output:
        eigenvalues="results/{system}/reference/{dyn}/eigenvalues.csv",
        scan="results/{system}/reference/{dyn}/timescales.csv",
        ck="results/{system}/reference/{dyn}/ck_test.csv",
        eigenvector="results/{system}/reference/{dyn}/eigenvector.npz",
    wildcard_constraints:
        system="|".join(REFERENCE_SYSTEMS) or "__none__",
        dyn="bd|langevin",
    log:
        "results/logs/alanine/{system}/msm_{dyn}.log",
    params:
        reference=ALANINE_REF,
        seed=seed_for("alanine_msm"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=lambda wc: 10 + ALANINE_REF["n_bootstrap"] * len(ALANINE_REF["lags_ps"]) // 10,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_msm.py"


# Committor shooting with the BD dynamics: λ_1 of the slow φ process, which the MSM of
# nanosecond runs cannot resolve (mdcv.reference.shooting; method tpt-bd-uniform in the table).
rule alanine_shooting_runs:
    input:
        biased="results/{system}/dataset/biased.npz",
        xtc="results/{system}/md/biased/traj.xtc",
        solute="results/{system}/md/topology/solute.pdb",
        gro="results/{system}/md/topology/conf.gro",
        top="results/{system}/md/topology/topol.top",
        index="results/{system}/md/topology/index.ndx",
        templates=lambda wc: mdsettings.stage_templates(config, wc.system, "unbiased", MDP_DIR),
    output:
        shots="results/{system}/reference/bd/shooting.npz",
    wildcard_constraints:
        system="|".join(REFERENCE_SYSTEMS) or "__none__",
    log:
        "results/logs/alanine/{system}/shooting_runs.log",
    benchmark:
        "results/benchmarks/alanine/{system}_shooting_runs.tsv"
    params:
        settings=lambda wc: mdsettings.stage_settings(config, wc.system, "unbiased0"),
        reference=ALANINE_REF,
        seed=seed_for("alanine_shooting"),
        template_dir=mdp_dir,
        workdir="results/{system}/md/work/shooting_bd",
    threads: ALANINE_REF["threads"]
    resources:
        mem_mb=2000,
        runtime=lambda wc: mdcv_alanine.shooting_runtime(ALANINE_REF),
    conda:
        GROMACS_ENV
    script:
        "../scripts/alanine_shooting_runs.py"


rule alanine_shooting:
    input:
        shots="results/{system}/reference/bd/shooting.npz",
        biased="results/{system}/dataset/biased.npz",
    output:
        rate="results/{system}/reference/bd/shooting.csv",
        committors="results/{system}/reference/bd/committors.csv",
    wildcard_constraints:
        system="|".join(REFERENCE_SYSTEMS) or "__none__",
    log:
        "results/logs/alanine/{system}/shooting.log",
    params:
        shooting=ALANINE_REF["shooting"],
        seed=seed_for("alanine_shooting_rate"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_shooting.py"


# The Langevin runs are the transfer learner's trajectory dataset (train.smk reads
# results/{system}/dataset/trajectories.npz for `dataset: trajectories`).
rule alanine_trajectories:
    input:
        "results/{system}/reference/langevin/runs.npz",
    output:
        "results/{system}/dataset/trajectories.npz",
    wildcard_constraints:
        system="|".join(REFERENCE_SYSTEMS) or "__none__",
    log:
        "results/logs/alanine/{system}/trajectories.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    shell:
        "cp {input} {output} 2> {log}"


rule alanine_table:
    input:
        unpack(lambda wc: mdcv_alanine.table_inputs(config)),
    output:
        table=report(
            "results/tables/alanine_eigenvalues.csv",
            caption="../report/alanine_eigenvalues.rst",
            category="alanine dipeptide",
            subcategory="eigenvalues",
        ),
        spearman="results/tables/alanine_spearman.csv",
    log:
        "results/logs/alanine/table.log",
    params:
        plan=lambda wc: mdcv_alanine.table_plan(config),
        published=config["alanine"]["published"],
        cells=config["alanine"]["effective_cells"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_table.py"


rule alanine_data_figure:
    input:
        dataset="results/{system}/dataset/biased.npz",
    output:
        png=report("results/figures/alanine_{system}_data.png",
                   caption="../report/alanine_figures.rst", category="alanine dipeptide",
                   subcategory="{system}", labels={"system": "{system}", "panel": "data"}),
        pdf="results/figures/alanine_{system}_data.pdf",
    wildcard_constraints:
        system="|".join(ALANINE_SYSTEMS) or "__none__",
    log:
        "results/logs/alanine/{system}/figure_data.log",
    params:
        system="{system}",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_data_figure.py"


rule alanine_learner_figure:
    input:
        dataset="results/{system}/dataset/biased.npz",
        model="results/{system}/models/{learner}/model.ts",
        cv="results/{system}/models/{learner}/cv.npz",
    output:
        png=report("results/figures/alanine_{system}_{learner}.png",
                   caption="../report/alanine_figures.rst", category="alanine dipeptide",
                   subcategory="{system}", labels={"system": "{system}", "panel": "{learner}"}),
        pdf="results/figures/alanine_{system}_{learner}.pdf",
    wildcard_constraints:
        system="|".join(ALANINE_SYSTEMS) or "__none__",
        learner="|".join(mdcv_alanine.all_learners(config)) or "__none__",
    log:
        "results/logs/alanine/{system}/figure_{learner}.log",
    params:
        title=lambda wc: mdcv_alanine.learner_title(config, wc.system, wc.learner),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_learner_figure.py"


rule alanine_convergence_figure:
    input:
        histories=lambda wc: [f"results/{wc.system}/models/{name}/history.csv"
                              for name in mdcv_alanine.eigen_learners(config, wc.system)],
        runs=lambda wc: [f"results/{wc.system}/models/{name}/run.json"  # the chosen steps
                         for name in mdcv_alanine.eigen_learners(config, wc.system)],
    output:
        png=report("results/figures/alanine_{system}_convergence.png",
                   caption="../report/alanine_figures.rst", category="alanine dipeptide",
                   subcategory="{system}", labels={"system": "{system}", "panel": "convergence"}),
        pdf="results/figures/alanine_{system}_convergence.pdf",
    wildcard_constraints:
        system="|".join(ALANINE_SYSTEMS) or "__none__",
    log:
        "results/logs/alanine/{system}/figure_convergence.log",
    params:
        learners=lambda wc: mdcv_alanine.eigen_learners(config, wc.system),
        labels=lambda wc: mdcv_alanine.eigen_labels(config, wc.system),
        published=config["alanine"]["published"],
        system="{system}",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_convergence_figure.py"


rule alanine_msm_figure:
    input:
        scan="results/{system}/reference/{dyn}/timescales.csv",
        ck="results/{system}/reference/{dyn}/ck_test.csv",
        shooting=lambda wc: (f"results/{wc.system}/reference/bd/shooting.csv"
                             if wc.dyn == "bd" and mdcv_alanine.shooting_enabled(config) else []),
    output:
        png=report("results/figures/alanine_{system}_msm_{dyn}.png",
                   caption="../report/alanine_msm.rst", category="alanine dipeptide",
                   subcategory="{system}", labels={"system": "{system}", "panel": "msm {dyn}"}),
        pdf="results/figures/alanine_{system}_msm_{dyn}.pdf",
    wildcard_constraints:
        system="|".join(REFERENCE_SYSTEMS) or "__none__",
        dyn="bd|langevin",
    log:
        "results/logs/alanine/{system}/figure_msm_{dyn}.log",
    params:
        title=lambda wc: f"{wc.system}: MSM of {mdcv_alanine.REFERENCE_METHODS[wc.dyn]} runs",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_msm_figure.py"


# The study's water row: encoder, φ1, φ2, φ3 and the PMF (alanine.study_figure learners).
rule alanine_study_figure:
    input:
        dataset="results/{system}/dataset/biased.npz",
        encoder=lambda wc: f"results/{wc.system}/models/{config['alanine']['study_figure']['encoder']}/cv.npz",
        eigen=lambda wc: f"results/{wc.system}/models/{config['alanine']['study_figure']['eigen']}/cv.npz",
        pmf="results/{system}/md/awh/pmf.npz",
    output:
        png=report("results/figures/alanine_{system}_study.png",
                   caption="../report/alanine_figures.rst", category="alanine dipeptide",
                   subcategory="{system}", labels={"system": "{system}", "panel": "study"}),
        pdf="results/figures/alanine_{system}_study.pdf",
    wildcard_constraints:
        system="|".join(ALANINE_SYSTEMS) or "__none__",
    log:
        "results/logs/alanine/{system}/figure_study.log",
    params:
        system="{system}",
        k=lambda wc: learner_settings_for(wc.system, config["alanine"]["study_figure"]["eigen"])["k"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/alanine_study_figure.py"
