# The results summary: one page from the study's tables, model directories and per-rule
# benchmarks, with its provenance (mdcv.analysis.summary, mdcv.workflow.provenance).
from mdcv.analysis.summary import SECTIONS as SUMMARY_SECTIONS  # noqa: E402
from mdcv.workflow import provenance  # noqa: E402

# (system, learner, model directory) of every training the config runs.
SUMMARY_MODELS = [[s, name, str(paths.model_dir(s, name).root)]
                  for s, name in plan_targets.trainings(config)]


rule summary:
    input:
        targets=all_targets(),
        tables=[t for t in all_targets() if t.startswith(f"{paths.TABLES}/")],
        models=[paths.model_file(s, name, key) for s, name, _ in SUMMARY_MODELS
                for key in ("eigenvalues", "run")],
    output:
        index=paths.summary("index.md"),
        html=report(paths.summary("index.html"), caption="../report/summary.rst",
                    category="Summary"),
        provenance=paths.summary("provenance.json"),
        tables=[paths.summary(f"{key}.csv") for key, _, _ in SUMMARY_SECTIONS],
    params:
        root=workflow.basedir,
        configfiles=provenance.config_files(workflow.configfiles,
                                            Path(workflow.basedir, "config", "config.yaml"),
                                            workflow.basedir),
        config=config,
        benchmarks=paths.BENCHMARKS,
        models=SUMMARY_MODELS,
    log:
        paths.log("summary"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/summary.py"
