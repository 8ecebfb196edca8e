# Learned spectra against the exact grid reference, the quality of each learned CV, and
# the study's tables (toy spectrum, CV quality, alanine eigenvalues).


rule toy_evaluate:
    input:
        unpack(jobs.toy_models("readouts", "cv", "torchscript")),
        spectrum=paths.toy_reference("{toy}", "spectrum.npz"),
        dataset=paths.dataset("{toy}", "biased"),
    output:
        paths.evaluation("{toy}", "spectrum.csv"),
    params:
        system="{toy}",
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
        default_readouts=lambda wc: {
            name: plan_params.learner(config, wc.toy, name).get("readout")
            for name in mdcv_config.toy_learners(config, wc.toy)
        },
    log:
        paths.log("{toy}", "evaluate"),
    benchmark:
        paths.benchmark("toy_evaluate", "{toy}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        ML_ENV
    script:
        "../scripts/toy_evaluate.py"


rule toy_cv_quality:
    input:
        unpack(jobs.toy_models("torchscript", "eigenvalues")),
        spectrum=paths.toy_reference("{toy}", "spectrum.npz"),
        dataset=paths.dataset("{toy}", "biased"),
    output:
        paths.evaluation("{toy}", "cv_quality.csv"),
    params:
        system="{toy}",
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
        kinds=lambda wc: toycv.learner_kinds(config, wc.toy),
        n_cells=config["toy"]["cv_quality_cells"],
    log:
        paths.log("{toy}", "cv_quality"),
    benchmark:
        paths.benchmark("toy_cv_quality", "{toy}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        ML_ENV
    script:
        "../scripts/toy_cv_quality.py"


rule toy_spectrum_table:
    input:
        [paths.evaluation(toy, "spectrum.csv") for toy in TOY_SYSTEMS],
    output:
        report(
            paths.table("toy_spectrum"),
            caption="../report/toy_spectrum.rst",
            category="Toy potentials",
        ),
    log:
        paths.log("tables", "toy_spectrum"),
    benchmark:
        paths.benchmark("toy_spectrum_table")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/concat_tables.py"


rule toy_cv_quality_table:
    input:
        [paths.evaluation(toy, "cv_quality.csv") for toy in TOY_SYSTEMS],
    output:
        report(
            paths.table("toy_cv_quality"),
            caption="../report/toy_cv_quality.rst",
            category="Toy potentials",
        ),
    log:
        paths.log("tables", "toy_cv_quality"),
    benchmark:
        paths.benchmark("toy_cv_quality_table")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/concat_tables.py"


rule alanine_table:
    input:
        **plan_alanine.table_inputs(config),
    output:
        table=report(
            paths.table("alanine_eigenvalues"),
            caption="../report/alanine_eigenvalues.rst",
            category="alanine dipeptide",
            subcategory="eigenvalues",
        ),
        spearman=paths.table("alanine_spearman"),
    log:
        paths.log("alanine", "table"),
    benchmark:
        paths.benchmark("alanine_table")
    params:
        plan=plan_alanine.table_plan(config),
        published=config["alanine"]["published"],
        cells=config["alanine"]["effective_cells"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_table.py"
