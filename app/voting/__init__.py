"""Plenary voting: the organiser's vote page and results, and each attendee's ballot page."""
