"""selectors for the payouts app."""
