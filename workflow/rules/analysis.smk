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
