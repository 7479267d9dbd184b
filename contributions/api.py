"""api for the contributions app."""
