"""api for the payouts app."""
