"""Core building blocks: the experiment, its phases, context and callbacks."""
