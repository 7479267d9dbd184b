"""services for the payouts app."""
