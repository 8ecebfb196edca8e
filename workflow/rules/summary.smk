# The results summary: one page from the study's tables, model directories and per-rule
# benchmarks, with its provenance (mdcv.analysis.summary, mdcv.workflow.provenance).
from mdcv.analysis.summary import SECTIONS as SUMMARY_SECTIONS  # noqa: E402
from mdcv.workflow import provenance  # noqa: E402

SUMMARY_DIR = "results/summary"


def summary_trainings():
    """(system, learner, model directory) of every training the config runs."""
    return [[s, name, f"results/{s}/models/{name}"] for s, name in plan_targets.trainings(config)]


rule summary:
    input:
        targets=all_targets(),
        tables=[t for t in all_targets() if t.startswith("results/tables/") and t.endswith(".csv")],
        models=[f"{root}/eigenvalues.csv" for _, _, root in summary_trainings()],
    output:
        index=f"{SUMMARY_DIR}/index.md",
        html=report(f"{SUMMARY_DIR}/index.html", caption="../report/summary.rst",
                    category="Summary"),
        provenance=f"{SUMMARY_DIR}/provenance.json",
        tables=[f"{SUMMARY_DIR}/{key}.csv" for key, _, _ in SUMMARY_SECTIONS],
    params:
        root=workflow.basedir,
        configfiles=provenance.config_files(workflow.configfiles,
                                            Path(workflow.basedir, "config", "config.yaml"),
                                            workflow.basedir),
        config=config,
        benchmarks="results/benchmarks/rules",
        models=summary_trainings(),
    log:
        "results/logs/summary.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/summary.py"
