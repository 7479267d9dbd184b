"""admin for the contributions app."""
