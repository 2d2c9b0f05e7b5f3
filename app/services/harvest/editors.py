"""Harvest editors: accounts an event's organisers give its harvest to (moderation, themes and
the briefing of that event, nothing else). A new editor's account has no usable password until
they follow the link mailed to them (accounts.password_resets).

Imports models, accounts.organisers, accounts.password_resets.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, select

from app.extensions import db
from app.models import Event, User, UserRole, event_harvest_editors
from app.services.accounts import password_resets
from app.services.accounts.organisers import AccountError, normalise_email, organiser_by_email


def editors_of(event: Event) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(event_harvest_editors, event_harvest_editors.c.user_id == User.id)
            .where(event_harvest_editors.c.event_id == event.id)
            .order_by(User.email)
        )
    )


def add_editor(event: Event, email: str) -> tuple[User, bool]:
    """Give the event's harvest to the account with this address, creating a harvest editor
    (and mailing them a link to choose a password) when there is none. Returns the account and
    whether it is new. AccountError for a bad address or one that already has the harvest."""
    address = normalise_email(email)
    user = organiser_by_email(address)
    if user is not None and (user in event.organisers or user in editors_of(event)):
        raise AccountError(f"{address} can already moderate this event's harvest")
    created = user is None
    if created:
        user = User(email=address, role=UserRole.HARVEST_EDITOR)
        # Nobody knows this password: the editor chooses theirs through the mailed link.
        user.set_password(secrets.token_urlsafe(32))
        db.session.add(user)
        db.session.flush()
    db.session.execute(insert(event_harvest_editors).values(event_id=event.id, user_id=user.id))
    db.session.commit()
    if created:
        password_resets.request_reset(address)
    return user, created


def remove_editor(event: Event, user_id: int) -> None:
    db.session.execute(
        delete(event_harvest_editors).where(
            event_harvest_editors.c.event_id == event.id,
            event_harvest_editors.c.user_id == user_id,
        )
    )
    db.session.commit()
