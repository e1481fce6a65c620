"""The durable heart: timers in the database, claimed under a lease, run on one clock."""
