"""Running the system for years: backup and restore."""
