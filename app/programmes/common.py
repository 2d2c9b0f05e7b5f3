"""What the programmes pages of every kind share: finding the signed-in organiser's programme."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.models import Programme, ProgrammeKind
from app.services.programmes.programmes import programme_for_organiser


def organisers_programme(
    programme_id: int, kinds: tuple[ProgrammeKind, ...] = tuple(ProgrammeKind)
) -> Programme:
    """The programme if the signed-in user organises it (and it is of one of `kinds`); 404
    otherwise, so nobody learns that someone else's programme exists."""
    programme = programme_for_organiser(programme_id, current_user, kinds)
    if programme is None:
        abort(404)
    return programme
