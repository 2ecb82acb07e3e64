"""Model nodes, the model graph, optimizers and losses."""
