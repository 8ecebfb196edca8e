"""The molecular-dynamics chain: molecule, topology, .mdp files, gmx runs, bias, PMF, features."""
