# Independent references of the alanine stage (mdcv.reference): MSMs of many short unbiased
# GROMACS runs (Brownian `bd` and Langevin `sd`), and committor shooting with the BD
# dynamics for λ_1 of the slow φ process, which the MSM of nanosecond runs cannot resolve
# (method tpt-bd-uniform in the table). Each rule gets only its slice of
# alanine.reference (mdcv.workflow.params): an MSM setting reruns no GROMACS run.


rule alanine_reference_runs:
    input:
        unpack(jobs.reference_inputs),
        reference=paths.md("{ref}", "em", "confout.gro"),
    output:
        runs=paths.reference("{ref}", "{dyn}", "runs.npz"),
    log:
        paths.log("alanine", "{ref}", "reference_{dyn}"),
    benchmark:
        paths.benchmark("alanine_reference_runs", "{ref}", "{dyn}")
    params:
        settings=jobs.reference_md_settings,
        reference=lambda wc: plan_params.reference_runs(config, wc.dyn),
        dynamics="{dyn}",
        atoms=lambda wc: mdsettings.system_settings(config, wc.ref)["features"]["atoms"],
        seed=seed_for("alanine_reference", "ref", "dyn"),
        template_dir=jobs.template_dir,
        workdir=paths.md_work("{ref}", "reference_{dyn}"),
    threads: plan_params.reference_threads(config)
    resources:
        mem_mb=lambda wc: jobs.reference_runs(wc)["mem_mb"],
        runtime=lambda wc: jobs.reference_runs(wc)["runtime"],
    conda:
        GROMACS_ENV
    script:
        "../scripts/alanine_reference_runs.py"


rule alanine_msm:
    input:
        runs=paths.reference("{ref}", "{dyn}", "runs.npz"),
        biased=paths.dataset("{ref}", "biased"),
    output:
        eigenvalues=paths.reference("{ref}", "{dyn}", "eigenvalues.csv"),
        scan=paths.reference("{ref}", "{dyn}", "timescales.csv"),
        ck=paths.reference("{ref}", "{dyn}", "ck_test.csv"),
        eigenvector=paths.reference("{ref}", "{dyn}", "eigenvector.npz"),
    log:
        paths.log("alanine", "{ref}", "msm_{dyn}"),
    benchmark:
        paths.benchmark("alanine_msm", "{ref}", "{dyn}")
    params:
        reference=plan_params.msm(config),
        seed=seed_for("alanine_msm", "ref", "dyn"),
    threads: 1
    resources:
        mem_mb=plan_resources.msm(config["alanine"]["reference"])["mem_mb"],
        runtime=plan_resources.msm(config["alanine"]["reference"])["runtime"],
    conda:
        ML_ENV
    script:
        "../scripts/alanine_msm.py"


rule alanine_shooting_runs:
    input:
        unpack(jobs.reference_inputs),
    output:
        shots=paths.reference("{ref}", "bd", "shooting.npz"),
    log:
        paths.log("alanine", "{ref}", "shooting_runs"),
    benchmark:
        paths.benchmark("alanine_shooting_runs", "{ref}")
    params:
        settings=jobs.reference_md_settings,
        reference=plan_params.shooting_runs(config),
        seed=seed_for("alanine_shooting", "ref"),
        template_dir=jobs.template_dir,
        workdir=paths.md_work("{ref}", "shooting_bd"),
    threads: plan_params.reference_threads(config)
    resources:
        mem_mb=plan_resources.shooting_runs(config["alanine"]["reference"])["mem_mb"],
        runtime=plan_resources.shooting_runs(config["alanine"]["reference"])["runtime"],
    conda:
        GROMACS_ENV
    script:
        "../scripts/alanine_shooting_runs.py"


rule alanine_shooting:
    input:
        shots=paths.reference("{ref}", "bd", "shooting.npz"),
        biased=paths.dataset("{ref}", "biased"),
    output:
        rate=paths.reference("{ref}", "bd", "shooting.csv"),
        committors=paths.reference("{ref}", "bd", "committors.csv"),
    log:
        paths.log("alanine", "{ref}", "shooting"),
    benchmark:
        paths.benchmark("alanine_shooting", "{ref}")
    params:
        shooting=plan_params.shooting_rate(config),
        seed=seed_for("alanine_shooting_rate", "ref"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_shooting.py"


# The Langevin runs are the transfer learner's trajectory dataset (`dataset: trajectories`).
rule alanine_trajectories:
    input:
        paths.reference("{ref}", "langevin", "runs.npz"),
    output:
        paths.dataset("{ref}", "trajectories"),
    log:
        paths.log("alanine", "{ref}", "trajectories"),
    benchmark:
        paths.benchmark("alanine_trajectories", "{ref}")
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        ML_ENV
    shell:
        "cp {input} {output} 2> {log}"


# The shooting λ_1 re-read with each core choice (alanine.reference.shooting.core_table),
# same runs and starts for every choice: results/tables/shooting_cores.csv.
rule alanine_shooting_cores:
    input:
        shots=lambda wc: [paths.reference(s, "bd", "shooting.npz")
                          for s in plan_alanine.shooting_systems(config)],
        biased=lambda wc: [paths.dataset(s, "biased") for s in plan_alanine.shooting_systems(config)],
    output:
        paths.table("shooting_cores"),
    log:
        paths.log("alanine", "shooting_cores"),
    benchmark:
        paths.benchmark("alanine_shooting_cores")
    params:
        systems=plan_alanine.shooting_systems(config),
        shooting=plan_params.shooting_cores(config),
        seed=plan_params.seed(config, "alanine_shooting_cores"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_shooting_cores.py"


# The committor-shooting estimator checked on toy potentials against the grid λ_1
# (toy.shooting_check, mdcv.toy.shooting): one job per system and seed, then the table.
rule toy_shooting_check:
    output:
        paths.toy_reference("{check}", "shooting_check/seed{rep}.csv"),
    log:
        paths.log("{check}", "shooting_check_{rep}"),
    benchmark:
        paths.benchmark("toy_shooting_check", "{check}", "{rep}")
    params:
        check=lambda wc: plan_params.shooting_check(config, wc.check),
        seed=lambda wc: plan_params.seed(config, "toy_shooting_check", wc.check, wc.rep),
        base_dir=workflow.basedir,
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    conda:
        ML_ENV
    script:
        "../scripts/toy_shooting_check.py"


rule shooting_check_table:
    input:
        [paths.toy_reference(s, f"shooting_check/seed{i}.csv")
         for s in plan_params.shooting_check_systems(config)
         for i in range(config["toy"]["shooting_check"]["seeds"])],
    output:
        paths.table("shooting_check"),
    log:
        paths.log("shooting_check_table"),
    benchmark:
        paths.benchmark("shooting_check_table")
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/shooting_check_table.py"
