"""tasks for the contributions app."""
