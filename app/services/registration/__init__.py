"""Registrations: their details, their lifecycle, who gets a seat (capacity), lookups and CSV."""
