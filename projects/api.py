"""api for the projects app."""
