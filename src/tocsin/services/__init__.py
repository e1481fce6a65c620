"""Use cases. Each owns its transaction: one unit of work per command."""
