# mdcv: collective variables of molecular dynamics learned by neural networks.
# This file is a table of contents; logic lives in src/mdcv, stages in workflow/rules.
import os

from snakemake.utils import min_version

min_version("9.20")


# The embedded default; --configfile files are merged on top of it (also with --directory).
configfile: os.path.join(workflow.basedir, "config", "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/toy.smk"
include: "workflow/rules/md.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/loop.smk"
include: "workflow/rules/loop_md.smk"
include: "workflow/rules/summary.smk"


rule all:
    default_target: True
    input:
        all_targets(),
        "results/summary/index.md",
