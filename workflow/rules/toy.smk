# Toy 2D systems: biased samples, unbiased trajectories and the exact grid spectrum.


rule toy_dataset_biased:
    output:
        dataset="results/{toy}/dataset/biased.npz",
        stats="results/{toy}/dataset/biased_stats.json",
    params:
        system=toy_step_settings("biased"),
        base_dir=workflow.basedir,
        seed=seed_for("toy_dataset_biased"),
        kind="biased",
    log:
        "results/logs/{toy}/dataset_biased.log",
    threads: 2
    resources:
        mem_mb=lambda wc: toy_dataset_mem_mb(wc),
        runtime=lambda wc: toy_dataset_runtime(wc),
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_dataset.py"


rule toy_dataset_unbiased:
    output:
        dataset="results/{toy}/dataset/unbiased.npz",
        stats="results/{toy}/dataset/unbiased_stats.json",
    params:
        system=toy_step_settings("unbiased"),
        base_dir=workflow.basedir,
        seed=seed_for("toy_dataset_unbiased"),
        kind="unbiased",
    log:
        "results/logs/{toy}/dataset_unbiased.log",
    threads: 2
    resources:
        mem_mb=lambda wc: toy_dataset_mem_mb(wc),
        runtime=lambda wc: toy_dataset_runtime(wc),
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_dataset.py"


rule toy_reference:
    output:
        spectrum="results/{toy}/reference/spectrum.npz",
        convergence="results/{toy}/reference/convergence.csv",
    params:
        system=toy_step_settings("reference"),
        base_dir=workflow.basedir,
    log:
        "results/logs/{toy}/reference.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_reference.py"
