"""Built-in models (torch: `modularml.models.torch`)."""
