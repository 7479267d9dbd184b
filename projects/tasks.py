"""tasks for the projects app."""
