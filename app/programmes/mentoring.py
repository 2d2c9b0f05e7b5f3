"""The mentoring-scheme and secondment-round part of a programme's page (one engine: a host
offering placements is a mentor whose capacity is its places, a secondee a mentee)."""

from __future__ import annotations

from flask import render_template

from app.models import Programme


def section(programme: Programme) -> str:
    return render_template("programmes/mentoring_section.html", programme=programme)
