"""Configuration files: YAML loaded with line numbers, so errors name file, line and key."""
