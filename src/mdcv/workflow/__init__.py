"""Planning of the Snakemake workflow: results paths, targets, params and resources."""
