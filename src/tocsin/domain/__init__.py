"""Pure logic: no IO, no database, no clock. ``now`` is always an argument."""
