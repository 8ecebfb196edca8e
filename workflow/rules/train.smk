# Training of any learner (config `learners:`) on any system's dataset. A learner with
# `folds` K > 1 (cross-fitting, mdcv.learn.crossfit) trains K members (train_fold, one job
# each, so they run side by side), and its train job averages them into its model
# directory. Checkpoints (paths.checkpoint) lie outside the outputs: they survive a failed
# job, and the rerun resumes from them.
#
# A train job declares the files it writes (mdcv.learn.modeldir.written): the rule `train`
# for learners writing the model-directory contract ({plain_learner}), `train_selecting`
# adding validation.csv (model selection, {selecting_learner}) and `train_crossfit` adding
# members.csv (cross-fitted with a held-out block, {crossfit_learner}).


rule train:
    input:
        unpack(jobs.train_inputs),
    output:
        **paths.model_files("{system}", "{plain_learner}", keys=plan_params.TRAIN_VARIANTS["plain_learner"]),
    params:
        settings=jobs.learner,
        seed=jobs.train_seed,
        checkpoint=jobs.checkpoint,
    log:
        paths.log("{system}", "train_{plain_learner}"),
    benchmark:
        paths.benchmark("train", "{system}", "{plain_learner}")
    threads: jobs.train_threads
    resources:
        mem_mb=lambda wc: jobs.train(wc)["mem_mb"],
        runtime=lambda wc: jobs.train(wc)["runtime"],
    conda:
        TRAIN_ENV
    script:
        "../scripts/train.py"


use rule train as train_selecting with:
    output:
        **paths.model_files("{system}", "{selecting_learner}", keys=plan_params.TRAIN_VARIANTS["selecting_learner"]),
    log:
        paths.log("{system}", "train_{selecting_learner}"),
    benchmark:
        paths.benchmark("train", "{system}", "{selecting_learner}")


use rule train as train_crossfit with:
    output:
        **paths.model_files("{system}", "{crossfit_learner}", keys=plan_params.TRAIN_VARIANTS["crossfit_learner"]),
    log:
        paths.log("{system}", "train_{crossfit_learner}"),
    benchmark:
        paths.benchmark("train", "{system}", "{crossfit_learner}")


# One member of a cross-fitted learner: a generator learner choosing its model on its fold,
# hence with validation.csv.
rule train_fold:
    input:
        unpack(jobs.train_inputs),
    output:
        **paths.model_files("{system}", "{learner}", "{fold}", keys=plan_params.FOLD_FILES),
    params:
        settings=jobs.learner,
        seed=jobs.train_seed,
        checkpoint=jobs.checkpoint,
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
