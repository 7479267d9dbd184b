"""services for the contributions app."""
