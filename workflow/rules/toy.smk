# Toy 2D systems: biased samples, unbiased trajectories, short trajectories from the
# biased samples (the transfer learner's data) and the exact grid spectrum.


# `biased` (the generator learners' data) or `unbiased` (sampling.unbiased).
rule toy_dataset:
    output:
        dataset=paths.dataset("{toy}", "{dataset}"),
        stats=paths.dataset_stats("{toy}", "{dataset}"),
    params:
        system=lambda wc: mdcv_config.toy_step_settings(config, wc.toy, wc.dataset),
        base_dir=workflow.basedir,
        seed=lambda wc: plan_params.seed(config, f"toy_dataset_{wc.dataset}", wc.toy),
        kind="{dataset}",
    log:
        paths.log("{toy}", "dataset_{dataset}"),
    benchmark:
        paths.benchmark("toy_dataset", "{toy}", "{dataset}")
    threads: 2
    resources:
        mem_mb=lambda wc: jobs.toy_sampling(wc)["mem_mb"],
        runtime=lambda wc: jobs.toy_sampling(wc)["runtime"],
    conda:
        ML_ENV
    script:
        "../scripts/toy_dataset.py"


# Many short trajectories of the unbiased dynamics, started from the biased samples and
# weighted by their start's weight (mdcv.toy.trajectories says why); sizes from
# toy.sampling.unbiased (n_walkers = number of start points).
rule toy_dataset_trajectories:
    input:
        biased=paths.dataset("{toy}", "biased"),
    output:
        dataset=paths.dataset("{toy}", "trajectories"),
        stats=paths.dataset_stats("{toy}", "trajectories"),
    params:
        system=lambda wc: mdcv_config.toy_settings(config, wc.toy),
        base_dir=workflow.basedir,
        seed=seed_for("toy_dataset_trajectories", "toy"),
    log:
        paths.log("{toy}", "dataset_trajectories"),
    benchmark:
        paths.benchmark("toy_dataset_trajectories", "{toy}")
    threads: 2
    resources:
        mem_mb=lambda wc: jobs.toy_sampling(wc)["mem_mb"],
        runtime=lambda wc: jobs.toy_sampling(wc)["runtime"],
    conda:
        ML_ENV
    script:
        "../scripts/toy_cv_trajectories.py"


rule toy_reference:
    output:
        spectrum=paths.toy_reference("{toy}", "spectrum.npz"),
        convergence=paths.toy_reference("{toy}", "convergence.csv"),
    params:
        system=lambda wc: mdcv_config.toy_step_settings(config, wc.toy, "reference"),
        base_dir=workflow.basedir,
    log:
        paths.log("{toy}", "reference"),
    benchmark:
        paths.benchmark("toy_reference", "{toy}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        ML_ENV
    script:
        "../scripts/toy_reference.py"
