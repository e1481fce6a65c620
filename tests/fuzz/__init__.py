"""Property-based fuzzing of every parser, bounded for CI (docs/security.md, "Fuzzing")."""
