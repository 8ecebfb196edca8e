# The study's figures: one file per panel, PNG and PDF, in results/figures/.


rule toy_eigenfunction_figure:
    input:
        spectrum="results/{toy}/reference/spectrum.npz",
        dataset="results/{toy}/dataset/biased.npz",
        models=toy_learner_models,
    output:
        png=report(
            "results/figures/toy_{toy}_eigenfunctions.png",
            caption="../report/toy_eigenfunctions.rst",
            category="Toy potentials",
            labels={"system": "{toy}", "figure": "eigenfunctions"},
        ),
        pdf="results/figures/toy_{toy}_eigenfunctions.pdf",
    params:
        system=lambda wc: wc.toy,
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
    log:
        "results/logs/{toy}/figure_eigenfunctions.log",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_eigenfunction_figure.py"


rule toy_training_figure:
    input:
        models=toy_learner_models,
        spectrum="results/{toy}/reference/spectrum.npz",
    output:
        png=report(
            "results/figures/toy_{toy}_training.png",
            caption="../report/toy_training.rst",
            category="Toy potentials",
            labels={"system": "{toy}", "figure": "training curve"},
        ),
        pdf="results/figures/toy_{toy}_training.pdf",
    params:
        system=lambda wc: wc.toy,
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
    log:
        "results/logs/{toy}/figure_training.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"  # mdcv.toy.reference imports mdcv.toy.potentials, hence torch
    script:
        "../scripts/toy_training_figure.py"


# Issue 5: the study's autoencoder panels (potential + data, encoder level sets,
# decoder image of the CV range): one file per learner and the combined row.
rule toy_autoencoder_panel:
    input:
        spectrum="results/{toy}/reference/spectrum.npz",
        dataset="results/{toy}/dataset/biased.npz",
        models=["results/{toy}/models/{learner}/model.pt"],
    output:
        png=report(
            "results/figures/toy_{toy}_autoencoder_{learner}.png",
            caption="../report/toy_autoencoder.rst",
            category="Toy potentials",
            labels={"system": "{toy}", "figure": "autoencoder {learner}"},
        ),
        pdf="results/figures/toy_{toy}_autoencoder_{learner}.pdf",
    params:
        system=lambda wc: wc.toy,
        titles=lambda wc: [toycv.autoencoder_title(config, wc.toy, wc.learner)],
    log:
        "results/logs/{toy}/figure_autoencoder_{learner}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_autoencoder_figure.py"


rule toy_autoencoder_figure:
    input:
        spectrum="results/{toy}/reference/spectrum.npz",
        dataset="results/{toy}/dataset/biased.npz",
        models=lambda wc: [f"results/{wc.toy}/models/{name}/model.pt"
                           for name in toycv.autoencoder_learners(config, wc.toy)],
    output:
        png=report(
            "results/figures/toy_{toy}_autoencoders.png",
            caption="../report/toy_autoencoder.rst",
            category="Toy potentials",
            labels={"system": "{toy}", "figure": "autoencoders"},
        ),
        pdf="results/figures/toy_{toy}_autoencoders.pdf",
    params:
        system=lambda wc: wc.toy,
        titles=lambda wc: [toycv.autoencoder_title(config, wc.toy, name)
                           for name in toycv.autoencoder_learners(config, wc.toy)],
    log:
        "results/logs/{toy}/figure_autoencoders.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/toy_autoencoder_figure.py"
