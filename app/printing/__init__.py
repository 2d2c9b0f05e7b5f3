"""Printing: table plans, facilitator sheets, place cards, badges, find-your-table, itineraries."""
