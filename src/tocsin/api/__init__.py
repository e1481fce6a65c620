"""HTTP: parse, call a service, render. Nothing else."""
