"""Rule toy_dataset_trajectories: short unbiased trajectories from the biased samples."""

import json
from pathlib import Path

from mdcv import data
from mdcv.logs import setup
from mdcv.toy.langevin import even_subset
from mdcv.toy.potentials import load_potential
from mdcv.toy.trajectories import reweighted_trajectories

log = setup(snakemake.log[0])
system = snakemake.params.system
u = system["sampling"]["unbiased"]
biased = data.load(snakemake.input.biased)
starts = even_subset(biased.n, u["n_walkers"])
ds, stats = reweighted_trajectories(
    load_potential(system["potential"], snakemake.params.base_dir), system["beta"], system["box"],
    biased.x[starts], biased.w[starts], length=u["length"], dt=u["dt"], stride=u["stride"],
    seed=snakemake.params.seed)
data.save(ds, snakemake.output.dataset)
Path(snakemake.output.stats).write_text(json.dumps(stats, indent=2))
log.info("trajectories of %s: %s", system["name"], stats)
