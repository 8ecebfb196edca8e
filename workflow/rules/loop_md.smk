# The CV loop for molecules (mdcv.loop.md): round 0 is the study's φ/ψ-biased dataset;
# round r ≥ 1 runs AWH along round r-1's CV (a dihedral network as a GROMACS pull
# coordinate), fits a fixed bias -c·min(F, cap) along it, runs a production under that
# bias and reweights its frames. Training, the round checkpoint, the table and the figure
# are loop.smk's. mdrun's files stay in round<r>/work/, where a killed run continues.
from mdcv.loop import mdplan as loop_mdplan  # noqa: E402

LOOP_MD_ENV = "../../envs/gromacs-ml.yaml"


rule loop_md_round0:
    input:
        dataset=paths.dataset("{md_system}", "biased"),
    output:
        samples=paths.loop_round("{md_system}", "0", "samples.npz"),
        stats=paths.loop_round("{md_system}", "0", "samples_stats.json"),
    params:
        ns_simulated=lambda wc: loop_mdplan.round0_ns(config, wc.md_system),
    log:
        paths.log("{md_system}", "loop", "samples_round0"),
    benchmark:
        paths.benchmark("loop_md_round0", "{md_system}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        LOOP_MD_ENV
    script:
        "../scripts/loop_md_round0.py"


rule loop_md_awh:
    input:
        unpack(lambda wc: loop_mdplan.awh_inputs(config, wc.md_system, wc.next_round)),
        templates=jobs.stage_templates("awh"),
    output:
        tpr=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "topol.tpr"),
        index=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "index.ndx"),
        gro=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "confout.gro"),
        cpt=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "state.cpt"),
        edr=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "ener.edr"),
        md_log=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "md.log"),
        span=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "range.json"),
    params:
        settings=lambda wc: loop_mdplan.run_settings(config, wc.md_system, "awh"),
        template_dir=jobs.template_dir,
        workdir=lambda wc: loop_mdplan.work_dir(wc.md_system, wc.next_round, "awh"),
    log:
        paths.log("{md_system}", "loop", "awh_round{next_round}"),
    benchmark:
        paths.benchmark("loop_md_awh", "{md_system}", "{next_round}")
    threads: jobs.md_threads
    resources:
        mem_mb=2000,
        runtime=lambda wc: loop_mdplan.runtime(config, wc.md_system, "awh"),
    conda:
        LOOP_MD_ENV
    script:
        "../scripts/loop_md_awh.py"


rule loop_md_bias:
    input:
        edr=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "ener.edr"),
        tpr=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "topol.tpr"),
        span=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "range.json"),
    output:
        xvg=loop_mdplan.run_file("{md_system}", "{next_round}", "bias", "pmf.xvg"),
        pmf=loop_mdplan.run_file("{md_system}", "{next_round}", "bias", "pmf.npz"),
        bias=loop_mdplan.run_file("{md_system}", "{next_round}", "bias", "bias.npz"),
    params:
        fit=loop_mdplan.fit_settings(config),
    log:
        paths.log("{md_system}", "loop", "bias_round{next_round}"),
    benchmark:
        paths.benchmark("loop_md_bias", "{md_system}", "{next_round}")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        LOOP_MD_ENV
    script:
        "../scripts/loop_md_bias.py"


rule loop_md_production:
    input:
        unpack(lambda wc: loop_mdplan.previous_model(wc.md_system, wc.next_round)),
        bias=loop_mdplan.run_file("{md_system}", "{next_round}", "bias", "bias.npz"),
        gro=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "confout.gro"),
        cpt=loop_mdplan.run_file("{md_system}", "{next_round}", "awh", "state.cpt"),
        top=paths.md("{md_system}", "topology", "topol.top"),
        index=paths.md("{md_system}", "topology", "index.ndx"),
        templates=jobs.stage_templates("biased"),
    output:
        tpr=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "topol.tpr"),
        index=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "index.ndx"),
        xtc=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "traj.xtc"),
        edr=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "ener.edr"),
        md_log=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "md.log"),
    params:
        settings=lambda wc: loop_mdplan.run_settings(config, wc.md_system, "biased"),
        template_dir=jobs.template_dir,
        workdir=lambda wc: loop_mdplan.work_dir(wc.md_system, wc.next_round, "biased"),
    log:
        paths.log("{md_system}", "loop", "biased_round{next_round}"),
    benchmark:
        paths.benchmark("loop_md_production", "{md_system}", "{next_round}")
    threads: jobs.md_threads
    resources:
        mem_mb=2000,
        runtime=lambda wc: loop_mdplan.runtime(config, wc.md_system, "biased"),
    conda:
        LOOP_MD_ENV
    script:
        "../scripts/loop_md_production.py"


rule loop_md_samples:
    input:
        unpack(lambda wc: loop_mdplan.previous_model(wc.md_system, wc.next_round)),
        bias=loop_mdplan.run_file("{md_system}", "{next_round}", "bias", "bias.npz"),
        xtc=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "traj.xtc"),
        edr=loop_mdplan.run_file("{md_system}", "{next_round}", "biased", "ener.edr"),
        solute=paths.md("{md_system}", "topology", "solute.pdb"),
        reference=paths.md("{md_system}", "em", "confout.gro"),
    output:
        samples=paths.loop_round("{md_system}", "{next_round}", "samples.npz"),
        stats=paths.loop_round("{md_system}", "{next_round}", "samples_stats.json"),
    params:
        features=lambda wc: loop_mdplan.samples_settings(config, wc.md_system),
    log:
        paths.log("{md_system}", "loop", "samples_round{next_round}"),
    benchmark:
        paths.benchmark("loop_md_samples", "{md_system}", "{next_round}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    conda:
        LOOP_MD_ENV
    script:
        "../scripts/loop_md_samples.py"
