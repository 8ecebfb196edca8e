# Featurization of the MD runs (mdtraj): aligned solute coordinates, φ/ψ, weights; the
# reweighting check of the biased data against the AWH PMF.


rule features_biased:
    input:
        xtc=paths.md("{md_system}", "biased", "traj.xtc"),
        edr=paths.md("{md_system}", "biased", "ener.edr"),
        solute=paths.md("{md_system}", "topology", "solute.pdb"),
        reference=paths.md("{md_system}", "em", "confout.gro"),
        grid=paths.md("{md_system}", "bias", "grid.npz"),
    output:
        dataset=paths.dataset("{md_system}", "biased"),
    log:
        paths.log("features", "{md_system}", "biased"),
    benchmark:
        paths.benchmark("features_biased", "{md_system}")
    params:
        features=lambda wc: plan_params.features(config, wc.md_system, "biased"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    conda:
        GROMACS_ENV
    script:
        "../scripts/features_biased.py"


rule features_unbiased:
    input:
        xtc=lambda wc: plan_inputs.unbiased_xtcs(config, wc.md_system),
        solute=paths.md("{md_system}", "topology", "solute.pdb"),
        reference=paths.md("{md_system}", "em", "confout.gro"),
    output:
        dataset=paths.dataset("{md_system}", "unbiased"),
    log:
        paths.log("features", "{md_system}", "unbiased"),
    benchmark:
        paths.benchmark("features_unbiased", "{md_system}")
    params:
        features=lambda wc: plan_params.features(config, wc.md_system, "unbiased"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    conda:
        GROMACS_ENV
    script:
        "../scripts/features_unbiased.py"


rule md_reweighting_check:
    input:
        datasets=[paths.dataset(system, "biased") for system in MD_SYSTEMS],
        pmfs=[paths.md(system, "awh", "pmf.npz") for system in MD_SYSTEMS],
    output:
        table=report(
            paths.table("reweighting_check"),
            caption="../report/md_reweighting.rst",
            category="alanine dipeptide",
            subcategory="free energy",
        ),
    log:
        paths.log("features", "reweighting_check"),
    benchmark:
        paths.benchmark("md_reweighting_check")
    params:
        systems=MD_SYSTEMS,
        bins=config["md"]["reweighting"]["bins"],
        min_count=config["md"]["reweighting"]["min_count"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_reweighting.py"
