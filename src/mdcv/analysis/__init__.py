"""Analysis: learned spectra against references, effective dynamics, the study's tables."""
