# The results summary: one page from the study's tables, model directories and per-rule
# benchmarks, with its provenance (mdcv.analysis.summary, mdcv.workflow.provenance).
from mdcv.analysis.summary import SECTIONS as SUMMARY_SECTIONS  # noqa: E402
from mdcv.workflow import paths as summary_paths  # noqa: E402
from mdcv.workflow import provenance  # noqa: E402
from mdcv.workflow import targets as summary_targets  # noqa: E402

SUMMARY_DIR = f"{summary_paths.RESULTS}/summary"
# (system, learner, model directory) of every training the config runs.
SUMMARY_MODELS = [[s, name, str(summary_paths.model_dir(s, name).root)]
                  for s, name in summary_targets.trainings(config)]


rule summary:
    input:
        targets=all_targets(),
        tables=[t for t in all_targets() if t.startswith(f"{summary_paths.TABLES}/")],
        models=[summary_paths.model_file(s, name, key) for s, name, _ in SUMMARY_MODELS
                for key in ("eigenvalues", "run")],
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
        benchmarks=summary_paths.BENCHMARKS,
        models=SUMMARY_MODELS,
    log:
        summary_paths.log("summary"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    conda:
        "../../envs/ml.yaml"
    script:
        "../scripts/summary.py"
