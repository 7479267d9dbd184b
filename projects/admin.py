"""admin for the projects app."""
