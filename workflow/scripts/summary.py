"""Rule summary: results/summary/index.md (+ index.html, the CSVs it shows, provenance.json)."""

import json
from pathlib import Path

import pandas as pd

from mdcv.analysis import summary
from mdcv.logs import setup
from mdcv.workflow import provenance

log = setup(snakemake.log[0])
par = snakemake.params
out = snakemake.output
readers = {"toy_spectrum": summary.toy_spectrum_section,
           "toy_cv_quality": summary.cv_quality_section,
           "alanine_eigenvalues": summary.alanine_section,
           "reweighting_check": summary.reweighting_section,
           "awh_convergence": summary.awh_convergence_section,
           "cv_loop": summary.loop_section,
           "shooting_check": summary.shooting_check_section}
keys = {"toy_spectrum": "toy_spectrum", "toy_cv_quality": "cv_quality",
        "alanine_eigenvalues": "alanine_eigenvalues", "reweighting_check": "reweighting",
        "awh_convergence": "awh_convergence",
        "cv_loop": "cv_loop", "shooting_check": "shooting_check"}
sections = {keys[Path(p).stem]: readers[Path(p).stem](pd.read_csv(p))
            for p in snakemake.input.tables if Path(p).stem in readers}
if par.models:
    sections["models"] = summary.models_section({(s, name): root for s, name, root in par.models})
    replicas = summary.replicas_section(sections["models"])
    if not replicas.empty:
        sections["replicas"] = replicas
bench = summary.read_benchmarks(par.benchmarks)
sections["rule_times"] = summary.rule_times(bench)
prov = provenance.collect(par.root, par.configfiles, par.config, summary.run_totals(bench))
for path in out.tables:  # one CSV per section; empty for a section this run has not
    sections.get(Path(path).stem, pd.DataFrame()).to_csv(path, index=False)
Path(out.provenance).write_text(json.dumps(prov, indent=1))
text = summary.page(provenance.header_markdown(prov), sections)
Path(out.index).write_text(text)
Path(out.html).write_text(summary.page_html(text, sections))
log.info("wrote %s (%d sections, %d benchmarked jobs)", out.index, len(sections), len(bench))
