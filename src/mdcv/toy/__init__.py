"""Toy 2D systems: potentials, batched Langevin samplers, the exact grid spectrum."""
