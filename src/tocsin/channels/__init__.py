"""Outbound wire formats: the only code that knows how a receiver wants its notification."""
