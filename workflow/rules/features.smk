# Featurization of the MD runs (mdtraj): aligned solute coordinates, φ/ψ, weights; the
# reweighting check against the AWH PMF and the figures of the MD stage.


rule features_biased:
    input:
        xtc="results/{system}/md/biased/traj.xtc",
        edr="results/{system}/md/biased/ener.edr",
        solute="results/{system}/md/topology/solute.pdb",
        reference="results/{system}/md/em/confout.gro",
        grid="results/{system}/md/bias/grid.npz",
    output:
        dataset="results/{system}/dataset/biased.npz",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/features/{system}/biased.log",
    params:
        atoms=lambda wc: md_settings(wc)["features"]["atoms"],
        discard_ps=lambda wc: md_settings(wc)["features"]["discard_ps"],
        temperature=lambda wc: md_settings(wc)["temperature"],
        tolerance=lambda wc: md_settings(wc)["bias"]["tolerance"],
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
        xtc=lambda wc: mdsettings.unbiased_xtcs(config, wc.system),
        solute="results/{system}/md/topology/solute.pdb",
        reference="results/{system}/md/em/confout.gro",
    output:
        dataset="results/{system}/dataset/unbiased.npz",
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/features/{system}/unbiased.log",
    params:
        atoms=lambda wc: md_settings(wc)["features"]["atoms"],
        discard_ps=0.0,
        temperature=lambda wc: md_settings(wc)["temperature"],
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
        datasets=expand("results/{system}/dataset/biased.npz", system=MD_SYSTEMS),
        pmfs=expand("results/{system}/md/awh/pmf.npz", system=MD_SYSTEMS),
    output:
        table=report(
            "results/tables/reweighting_check.csv",
            caption="../report/md_reweighting.rst",
            category="alanine dipeptide",
            subcategory="free energy",
        ),
    log:
        "results/logs/features/reweighting_check.log",
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


rule md_figures:
    input:
        pmf="results/{system}/md/awh/pmf.npz",
        dataset="results/{system}/dataset/biased.npz",
    output:
        [
            report(path, caption=f"../report/md_{caption}.rst", category="alanine dipeptide",
                   subcategory="{system}", labels={"system": "{system}", "panel": panel})
            if path.endswith(".png") else path
            for path, panel, caption in mdplots.figure_files("{system}")
        ],
    wildcard_constraints:
        system=MD_SYSTEM_RE,
    log:
        "results/logs/figures/md_{system}.log",
    params:
        system="{system}",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_figures.py"
