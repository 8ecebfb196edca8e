"""Learning: datasets to networks, losses, the training loop, learners, read-outs."""
