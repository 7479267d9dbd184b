"""admin for the payouts app."""
