# Training of any learner (config `learners:`) on any system's dataset. A learner with
# `folds` K > 1 (cross-fitting, mdcv.learn.crossfit) trains K members (train_fold, one job
# each, so they run side by side), and `train` averages them into its model directory.
# Checkpoints (paths.checkpoint) lie outside the outputs: they survive a failed job, and
# the rerun resumes from them.


rule train:
    input:
        dataset=lambda wc: plan_inputs.learner_dataset(config, wc.system, wc.learner),
        members=lambda wc: plan_inputs.fold_models(config, wc.system, wc.learner),
    output:
        **paths.model_files("{system}", "{learner}"),
    params:
        settings=jobs.learner,
        seed=seed_for("train", "system", "learner"),
        checkpoint=paths.checkpoint("{system}", "{learner}"),
    log:
        paths.log("{system}", "train_{learner}"),
    benchmark:
        paths.benchmark("train", "{system}", "{learner}")
    threads: jobs.train_threads
    resources:
        mem_mb=lambda wc: jobs.train(wc)["mem_mb"],
        runtime=lambda wc: jobs.train(wc)["runtime"],
    conda:
        TRAIN_ENV
    script:
        "../scripts/train.py"


rule train_fold:
    input:
        dataset=lambda wc: plan_inputs.learner_dataset(config, wc.system, wc.learner),
    output:
        **paths.model_files("{system}", "{learner}", "{fold}"),
    params:
        settings=jobs.learner,
        seed=seed_for("train_fold", "system", "learner", "fold"),
        checkpoint=paths.checkpoint("{system}", "{learner}", "{fold}"),
    log:
        paths.log("{system}", "train_{learner}_fold{fold}"),
    benchmark:
        paths.benchmark("train_fold", "{system}", "{learner}", "{fold}")
    threads: jobs.train_threads
    resources:
        mem_mb=lambda wc: jobs.train(wc)["mem_mb"],
        runtime=lambda wc: jobs.train(wc)["runtime"],
    conda:
        TRAIN_ENV
    script:
        "../scripts/train_fold.py"
