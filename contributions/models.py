"""Data and invariants; see DESIGN.md for this app's room."""
