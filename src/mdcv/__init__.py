"""mdcv: collective variables of molecular dynamics learned by neural networks.

The package is importable without Snakemake; heavy dependencies (torch, mdtraj) are
imported by the submodules that need them, so ``import mdcv.config`` stays light.
"""

__version__ = "0.1.0"
