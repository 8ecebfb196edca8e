# Alanine dipeptide learning and its independent MSM references (issue: alanine learning).


def alanine_targets():
    """Final outputs of the alanine learning stage that `rule all` asks for."""
    return []
