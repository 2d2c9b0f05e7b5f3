"""Commitments followed up: an event's actions, their updates, and plenary commitments."""
