"""selectors for the projects app."""
