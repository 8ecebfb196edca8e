# Learned spectra against the exact grid reference, and the study's tables.


rule toy_evaluate:
    input:
        spectrum="results/{toy}/reference/spectrum.npz",
        dataset="results/{toy}/dataset/biased.npz",
        models=toy_learner_models,
    output:
        "results/{toy}/evaluation/spectrum.csv",
    params:
        system=lambda wc: wc.toy,
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
        default_readouts=lambda wc: {
            name: learner_settings_for(wc.toy, name).get("readout")
            for name in mdcv_config.toy_learners(config, wc.toy)
        },
    log:
        "results/logs/{toy}/evaluate.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_evaluate.py"


rule toy_spectrum_table:
    input:
        expand("results/{toy}/evaluation/spectrum.csv", toy=TOY_SYSTEMS),
    output:
        report(
            "results/tables/toy_spectrum.csv",
            caption="../report/toy_spectrum.rst",
            category="Toy potentials",
        ),
    log:
        "results/logs/tables/toy_spectrum.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/concat_tables.py"


# Issue 5: short unbiased trajectories for the transfer learner, and the CV quality table
# (effective dynamics along each learned CV against the exact λ1). Helpers: mdcv.workflow.toycv.
from mdcv.workflow import toycv  # noqa: E402


# Many short trajectories of the unbiased dynamics, started from the biased samples and
# weighted by their start's weight (see mdcv.toy.trajectories for why); sizes from
# toy.sampling.unbiased (n_walkers = number of start points).
rule toy_dataset_trajectories:
    input:
        biased="results/{toy}/dataset/biased.npz",
    output:
        dataset="results/{toy}/dataset/trajectories.npz",
        stats="results/{toy}/dataset/trajectories_stats.json",
    params:
        system=toy_settings,
        base_dir=workflow.basedir,
        seed=seed_for("toy_dataset_trajectories"),
    log:
        "results/logs/{toy}/dataset_trajectories.log",
    threads: 2
    resources:
        mem_mb=lambda wc: toy_dataset_mem_mb(wc),
        runtime=lambda wc: toy_dataset_runtime(wc),
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_cv_trajectories.py"


rule toy_cv_quality:
    input:
        spectrum="results/{toy}/reference/spectrum.npz",
        dataset="results/{toy}/dataset/biased.npz",
        models=toy_learner_models,
    output:
        "results/{toy}/evaluation/cv_quality.csv",
    params:
        system=lambda wc: wc.toy,
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
        kinds=lambda wc: toycv.learner_kinds(config, wc.toy),
        n_cells=200,
    log:
        "results/logs/{toy}/cv_quality.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_cv_quality.py"


rule toy_cv_quality_table:
    input:
        expand("results/{toy}/evaluation/cv_quality.csv", toy=TOY_SYSTEMS),
    output:
        report(
            "results/tables/toy_cv_quality.csv",
            caption="../report/toy_cv_quality.rst",
            category="Toy potentials",
        ),
    log:
        "results/logs/tables/toy_cv_quality.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/concat_tables.py"
