# The study's figures: one file per panel, PNG and PDF, in results/figures/ (paths.figure).


# --- toy systems -----------------------------------------------------------------------------
rule toy_eigenfunction_figure:
    input:
        spectrum=paths.toy_reference("{toy}", "spectrum.npz"),
        dataset=paths.dataset("{toy}", "biased"),
        torchscripts=lambda wc: plan_inputs.toy_models(config, wc.toy, "torchscript"),
    output:
        **figure_output("toy_{toy}_eigenfunctions", "toy_eigenfunctions", "Toy potentials",
                        system="{toy}", figure="eigenfunctions"),
    params:
        system="{toy}",
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
    log:
        paths.log("{toy}", "figure_eigenfunctions"),
    benchmark:
        paths.benchmark("toy_eigenfunction_figure", "{toy}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        ML_ENV
    script:
        "../scripts/toy_eigenfunction_figure.py"


rule toy_training_figure:
    input:
        histories=lambda wc: plan_inputs.toy_models(config, wc.toy, "history"),
        spectrum=paths.toy_reference("{toy}", "spectrum.npz"),
    output:
        **figure_output("toy_{toy}_training", "toy_training", "Toy potentials",
                        system="{toy}", figure="training curve"),
    params:
        system="{toy}",
        learners=lambda wc: mdcv_config.toy_learners(config, wc.toy),
    log:
        paths.log("{toy}", "figure_training"),
    benchmark:
        paths.benchmark("toy_training_figure", "{toy}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV  # mdcv.toy.reference imports mdcv.toy.potentials, hence torch
    script:
        "../scripts/toy_training_figure.py"


# The autoencoder panels (potential + data, encoder level sets, decoder image of the CV
# range): `autoencoder_<learner>` one learner, `autoencoders` the combined row.
rule toy_autoencoder_figure:
    input:
        spectrum=paths.toy_reference("{toy}", "spectrum.npz"),
        dataset=paths.dataset("{toy}", "biased"),
        torchscripts=lambda wc: plan_inputs.toy_models(
            config, wc.toy, "torchscript", toycv.panel_learners(config, wc.toy, wc.ae_panel)),
        cvs=lambda wc: plan_inputs.toy_models(
            config, wc.toy, "cv", toycv.panel_learners(config, wc.toy, wc.ae_panel)),
    output:
        **figure_output("toy_{toy}_{ae_panel}", "toy_autoencoder", "Toy potentials",
                        system="{toy}", figure="{ae_panel}"),
    params:
        system="{toy}",
        titles=lambda wc: [toycv.autoencoder_title(config, wc.toy, name)
                           for name in toycv.panel_learners(config, wc.toy, wc.ae_panel)],
    log:
        paths.log("{toy}", "figure_{ae_panel}"),
    benchmark:
        paths.benchmark("toy_autoencoder_figure", "{toy}", "{ae_panel}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/toy_autoencoder_figure.py"


# --- the MD stage ----------------------------------------------------------------------------
rule md_figures:
    input:
        pmf=paths.md("{md_system}", "awh", "pmf.npz"),
        dataset=paths.dataset("{md_system}", "biased"),
    output:
        [
            report(path, caption=f"../report/md_{caption}.rst", category="alanine dipeptide",
                   subcategory="{md_system}", labels={"system": "{md_system}", "panel": panel})
            if path.endswith(".png") else path
            for path, panel, caption in mdplots.figure_files("{md_system}", paths.FIGURES)
        ],
    log:
        paths.log("figures", "md_{md_system}"),
    benchmark:
        paths.benchmark("md_figures", "{md_system}")
    params:
        system="{md_system}",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_figures.py"


# --- the alanine stage -----------------------------------------------------------------------
rule alanine_data_figure:
    input:
        dataset=paths.dataset("{ala}", "biased"),
    output:
        **alanine_figure("data"),
    log:
        paths.log("alanine", "{ala}", "figure_data"),
    benchmark:
        paths.benchmark("alanine_data_figure", "{ala}")
    params:
        system="{ala}",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_data_figure.py"


rule alanine_learner_figure:
    input:
        dataset=paths.dataset("{ala}", "biased"),
        model=paths.model_file("{ala}", "{ala_learner}", "torchscript"),
        cv=paths.model_file("{ala}", "{ala_learner}", "cv"),
    output:
        **alanine_figure("{ala_learner}"),
    log:
        paths.log("alanine", "{ala}", "figure_{ala_learner}"),
    benchmark:
        paths.benchmark("alanine_learner_figure", "{ala}", "{ala_learner}")
    params:
        title=lambda wc: plan_alanine.learner_title(config, wc.ala, wc.ala_learner),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_learner_figure.py"


rule alanine_convergence_figure:
    input:
        histories=lambda wc: [paths.model_file(wc.ala, name, "history")
                              for name in plan_alanine.eigen_learners(config, wc.ala)],
        runs=lambda wc: [paths.model_file(wc.ala, name, "run")  # the chosen steps
                         for name in plan_alanine.eigen_learners(config, wc.ala)],
    output:
        **alanine_figure("convergence"),
    log:
        paths.log("alanine", "{ala}", "figure_convergence"),
    benchmark:
        paths.benchmark("alanine_convergence_figure", "{ala}")
    params:
        learners=lambda wc: plan_alanine.eigen_learners(config, wc.ala),
        labels=lambda wc: plan_alanine.eigen_labels(config, wc.ala),
        published=config["alanine"]["published"],
        system="{ala}",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_convergence_figure.py"


rule alanine_msm_figure:
    input:
        scan=paths.reference("{ref}", "{dyn}", "timescales.csv"),
        ck=paths.reference("{ref}", "{dyn}", "ck_test.csv"),
        shooting=lambda wc: (paths.reference(wc.ref, "bd", "shooting.csv")
                             if wc.dyn == "bd" and plan_alanine.shooting_enabled(config) else []),
    output:
        **figure_output("alanine_{ref}_msm_{dyn}", "alanine_msm", "alanine dipeptide", "{ref}",
                        system="{ref}", panel="msm {dyn}"),
    log:
        paths.log("alanine", "{ref}", "figure_msm_{dyn}"),
    benchmark:
        paths.benchmark("alanine_msm_figure", "{ref}", "{dyn}")
    params:
        system="{ref}",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_msm_figure.py"


# The study's water row: encoder, φ1, φ2, φ3 and the PMF (alanine.study_figure learners).
rule alanine_study_figure:
    input:
        dataset=paths.dataset("{ala}", "biased"),
        encoder=lambda wc: paths.model_file(wc.ala, config["alanine"]["study_figure"]["encoder"], "cv"),
        eigen=lambda wc: paths.model_file(wc.ala, config["alanine"]["study_figure"]["eigen"], "cv"),
        pmf=paths.md("{ala}", "awh", "pmf.npz"),
    output:
        **alanine_figure("study"),
    log:
        paths.log("alanine", "{ala}", "figure_study"),
    benchmark:
        paths.benchmark("alanine_study_figure", "{ala}")
    params:
        system="{ala}",
        k=lambda wc: plan_params.learner(config, wc.ala, config["alanine"]["study_figure"]["eigen"])["k"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/alanine_study_figure.py"
