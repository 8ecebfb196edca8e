# GROMACS chain for alanine dipeptide: build, minimize, equilibrate, AWH free energy along
# (φ, ψ), fixed CMAP bias, biased and unbiased production. Logic lives in src/mdcv/md
# (gromacs.py is the only caller of gmx); runs continue from their checkpoints, kept in
# paths.md_work (results/{system}/md/work/), where Snakemake does not delete them.


rule md_all:
    input:
        plan_targets.md(config),


rule md_molecule:
    output:
        pdb=paths.md("{md_system}", "build", "ala2.pdb"),
    log:
        paths.log("md", "{md_system}", "molecule"),
    benchmark:
        paths.benchmark("md_molecule", "{md_system}")
    params:
        dihedrals=config["md"]["initial_dihedrals"],
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_molecule.py"


rule md_topology:
    input:
        pdb=paths.md("{md_system}", "build", "ala2.pdb"),
    output:
        gro=paths.md("{md_system}", "topology", "conf.gro"),
        top=paths.md("{md_system}", "topology", "topol.top"),
        index=paths.md("{md_system}", "topology", "index.ndx"),
        solute=paths.md("{md_system}", "topology", "solute.pdb"),
    log:
        paths.log("md", "{md_system}", "topology"),
    benchmark:
        paths.benchmark("md_topology", "{md_system}")
    params:
        settings=lambda wc: mdsettings.topology_settings(config, wc.md_system),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_topology.py"


rule md_em:
    input:
        gro=paths.md("{md_system}", "topology", "conf.gro"),
        top=paths.md("{md_system}", "topology", "topol.top"),
        index=paths.md("{md_system}", "topology", "index.ndx"),
        templates=jobs.stage_templates("em"),
    output:
        tpr=paths.md("{md_system}", "em", "topol.tpr"),
        gro=paths.md("{md_system}", "em", "confout.gro"),
        edr=paths.md("{md_system}", "em", "ener.edr"),
        md_log=paths.md("{md_system}", "em", "md.log"),
    log:
        paths.log("md", "{md_system}", "em"),
    benchmark:
        paths.benchmark("md_em", "{md_system}")
    params:
        settings=lambda wc: mdsettings.stage_settings(config, wc.md_system, "em"),
        template_dir=jobs.template_dir,
        workdir=paths.md_work("{md_system}", "em"),
    threads: jobs.md_threads
    resources:
        mem_mb=1000,
        runtime=15,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_em.py"


# Equilibration, AWH, biased production (the critical path: priority 10) and the unbiased
# runs unbiased<i> (fresh velocities from the equilibrated state: priority 0).
rule md_dynamics:
    input:
        unpack(lambda wc: plan_inputs.md_stage(config, wc.md_system, wc.stage)),
        templates=jobs.stage_templates(),
    output:
        tpr=paths.md("{md_system}", "{stage}", "topol.tpr"),
        gro=paths.md("{md_system}", "{stage}", "confout.gro"),
        cpt=paths.md("{md_system}", "{stage}", "state.cpt"),
        edr=paths.md("{md_system}", "{stage}", "ener.edr"),
        xtc=paths.md("{md_system}", "{stage}", "traj.xtc"),
        md_log=paths.md("{md_system}", "{stage}", "md.log"),
    log:
        paths.log("md", "{md_system}", "{stage}"),
    benchmark:
        paths.benchmark("md_dynamics", "{md_system}", "{stage}")
    params:
        settings=lambda wc: mdsettings.stage_settings(config, wc.md_system, wc.stage),
        stage=lambda wc: plan_params.stage_kind(wc.stage),
        run=lambda wc: plan_params.stage_run(wc.stage),
        length_ps=lambda wc: mdsettings.stage_length_ps(jobs.md_settings(wc), wc.stage),
        template_dir=jobs.template_dir,
        workdir=paths.md_work("{md_system}", "{stage}"),
    threads: jobs.md_threads
    resources:
        mem_mb=2000,
        runtime=jobs.md_runtime,
    priority: lambda wc: 0 if plan_params.stage_kind(wc.stage) == "unbiased" else 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_run.py"


rule md_pmf:
    input:
        edr=paths.md("{md_system}", "awh", "ener.edr"),
        tpr=paths.md("{md_system}", "awh", "topol.tpr"),
    output:
        xvg=paths.md("{md_system}", "awh", "pmf.xvg"),
        npz=paths.md("{md_system}", "awh", "pmf.npz"),
    log:
        paths.log("md", "{md_system}", "pmf"),
    benchmark:
        paths.benchmark("md_pmf", "{md_system}")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_pmf.py"


rule md_bias:
    input:
        pmf=paths.md("{md_system}", "awh", "pmf.npz"),
        top=paths.md("{md_system}", "topology", "topol.top"),
    output:
        top=paths.md("{md_system}", "topology", "topol_biased.top"),
        grid=paths.md("{md_system}", "bias", "grid.npz"),
    log:
        paths.log("md", "{md_system}", "bias"),
    benchmark:
        paths.benchmark("md_bias", "{md_system}")
    params:
        bias=lambda wc: jobs.md_settings(wc)["bias"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    priority: 10
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_bias.py"


rule md_awh_convergence:
    input:
        edr=[paths.md(system, "awh", "ener.edr") for system in MD_SYSTEMS],
        tpr=[paths.md(system, "awh", "topol.tpr") for system in MD_SYSTEMS],
    output:
        table=paths.table("awh_convergence"),
    log:
        paths.log("md", "awh_convergence"),
    benchmark:
        paths.benchmark("md_awh_convergence")
    params:
        systems=MD_SYSTEMS,
        length_ps=[mdsettings.stage_length_ps(mdsettings.system_settings(config, system), "awh")
                   for system in MD_SYSTEMS],
        workdirs=[paths.md_work(system, "awh_halves") for system in MD_SYSTEMS],
        bins=config["md"]["reweighting"]["bins"],
        max_kJ_mol=config["md"]["reweighting"]["awh_max_kJ_mol"],
        temperature=config["md"]["temperature"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        GROMACS_ENV
    script:
        "../scripts/md_awh_convergence.py"
