"""tasks for the payouts app."""
