"""Plenary voting: statements, opening and closing, ballots (`ballots`) and results as counts
only (`results`)."""
