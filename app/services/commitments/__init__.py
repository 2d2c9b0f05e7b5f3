"""Commitments followed up: actions taken in from the harvest and the closing plenary, their dated
updates and red-amber-green state (`actions`), and the follow-up messages (`follow_ups`)."""
