# The CV loop (mdcv.loop, config `loop:`): round 0 learns a CV from unbiased samples;
# round r+1 samples under -c·F_r along round r's CV, reweights and retrains. Each round's
# files lie in results/<system>/loop/round<r>/. The checkpoint loop_round decides after
# each round whether the next one runs; the table's input walks the rounds checkpoint by
# checkpoint, so no round after a stop is ever run. An MD system joins by a rule writing
# its rounds' samples.npz and samples_stats.json (mdcv.loop.steps names the fields):
# training, the checkpoint, the table and the figure take any {system}.
from mdcv.loop import plan as loop_plan  # noqa: E402


rule loop_toy_sample:
    input:
        unpack(lambda wc: loop_plan.sample_inputs(wc.loop_toy, wc.round)),
    output:
        samples=paths.loop_round("{loop_toy}", "{round}", "samples.npz"),
        stats=paths.loop_round("{loop_toy}", "{round}", "samples_stats.json"),
    params:
        system=lambda wc: loop_settings.toy_round(config, wc.loop_toy),
        seed=lambda wc: plan_params.seed(config, "loop_sample", wc.loop_toy, wc.round),
        base_dir=workflow.basedir,
    log:
        paths.log("{loop_toy}", "loop", "sample_round{round}"),
    benchmark:
        paths.benchmark("loop_toy_sample", "{loop_toy}", "{round}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        ML_ENV
    script:
        "../scripts/loop_toy_sample.py"


# The study's training code (workflow/scripts/train.py) on the round's samples.
rule loop_train:
    input:
        dataset=paths.loop_round("{system}", "{round}", "samples.npz"),
        members=[],
    output:
        **paths.loop_model_files("{system}", "{round}"),
    params:
        settings=lambda wc: loop_plan.learner(config, wc.system),
        seed=lambda wc: plan_params.seed(config, "loop_train", wc.system, wc.round),
        checkpoint=lambda wc: paths.loop_checkpoint(wc.system, wc.round),
    log:
        paths.log("{system}", "loop", "train_round{round}"),
    benchmark:
        paths.benchmark("loop_train", "{system}", "{round}")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        TRAIN_ENV
    script:
        "../scripts/train.py"


checkpoint loop_round:
    input:
        unpack(lambda wc: loop_plan.round_inputs(config, wc.system, wc.round)),
    output:
        status=paths.loop_round("{system}", "{round}", "round.json"),
        profile=paths.loop_round("{system}", "{round}", "free_energy.npz"),
    params:
        settings=lambda wc: loop_plan.learner(config, wc.system),
        loop=loop_settings.pick(config, loop_settings.STATUS_KEYS + loop_settings.BIAS_KEYS),
        seed=lambda wc: plan_params.seed(config, "loop_round", wc.system, wc.round),
    log:
        paths.log("{system}", "loop", "round{round}"),
    benchmark:
        paths.benchmark("loop_round", "{system}", "{round}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        ML_ENV
    script:
        "../scripts/loop_round.py"


rule loop_table:
    input:
        records=lambda wc: loop_plan.walk(config, checkpoints.loop_round, "round.json"),
    output:
        report(paths.table("cv_loop"), caption="../report/cv_loop.rst", category="CV loop"),
    log:
        paths.log("loop_table"),
    benchmark:
        paths.benchmark("loop_table")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/loop_table.py"


rule loop_figure:
    input:
        table=paths.table("cv_loop"),
        profiles=lambda wc: loop_plan.walk(config, checkpoints.loop_round, "free_energy.npz"),
    output:
        **figure_output("cv_loop", "cv_loop", "CV loop", figure="cv loop"),
    log:
        paths.log("loop_figure"),
    benchmark:
        paths.benchmark("loop_figure")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        ML_ENV
    script:
        "../scripts/loop_figure.py"
