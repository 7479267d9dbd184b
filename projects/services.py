"""services for the projects app."""
