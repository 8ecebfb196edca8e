# Training of any learner (config `learners:`) on any system's dataset. A learner with
# `folds` K > 1 (cross-fitting, mdcv.learn.crossfit) trains K members (train_fold, one job each,
# so they run side by side), and `train` averages them into the learner's model directory.


rule train:
    input:
        dataset=learner_dataset,
        members=fold_models,
    output:
        model="results/{system}/models/{learner}/model.pt",
        torchscript="results/{system}/models/{learner}/model.ts",
        history="results/{system}/models/{learner}/history.csv",
        eigenvalues="results/{system}/models/{learner}/eigenvalues.csv",
        readouts="results/{system}/models/{learner}/readouts.csv",
        cv="results/{system}/models/{learner}/cv.npz",
        run="results/{system}/models/{learner}/run.json",
    params:
        settings=learner_settings,
        seed=seed_for("train"),
        # Outside the declared outputs, so it survives a failure and training resumes.
        checkpoint="results/checkpoints/{system}/{learner}.pt",
    log:
        "results/logs/{system}/train_{learner}.log",
    threads: train_threads
    resources:
        mem_mb=lambda wc: train_mem_mb(wc),
        runtime=lambda wc: train_runtime(wc),
    conda:
        f"../../envs/{config['train_env']}.yaml"  # ml, or ml-gpu (profiles/slurm-gpu)
    script:
        "../scripts/train.py"


rule train_fold:
    input:
        dataset=learner_dataset,
    output:
        model="results/{system}/models/{learner}/folds/{fold}/model.pt",
        torchscript="results/{system}/models/{learner}/folds/{fold}/model.ts",
        history="results/{system}/models/{learner}/folds/{fold}/history.csv",
        eigenvalues="results/{system}/models/{learner}/folds/{fold}/eigenvalues.csv",
        readouts="results/{system}/models/{learner}/folds/{fold}/readouts.csv",
        cv="results/{system}/models/{learner}/folds/{fold}/cv.npz",
        run="results/{system}/models/{learner}/folds/{fold}/run.json",
    params:
        settings=learner_settings,
        seed=fold_seed,
        checkpoint="results/checkpoints/{system}/{learner}.fold{fold}.pt",
    log:
        "results/logs/{system}/train_{learner}_fold{fold}.log",
    threads: train_threads
    resources:
        mem_mb=lambda wc: train_mem_mb(wc),
        runtime=lambda wc: train_runtime(wc),
    conda:
        f"../../envs/{config['train_env']}.yaml"
    script:
        "../scripts/train_fold.py"
