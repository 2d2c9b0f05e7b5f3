"""Organiser accounts and their API tokens."""
