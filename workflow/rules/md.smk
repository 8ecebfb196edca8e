# GROMACS chain for alanine dipeptide (build, equilibrate, AWH free energy, fixed bias, production).


def md_targets():
    """Final outputs of the MD stage that `rule all` asks for."""
    return []
