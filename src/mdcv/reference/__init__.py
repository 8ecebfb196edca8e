"""Independent references of the alanine eigenvalues: MSM of short runs, committor shooting."""
