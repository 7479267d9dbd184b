"""selectors for the contributions app."""
