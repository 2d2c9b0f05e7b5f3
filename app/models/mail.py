"""The mail outbox: each message is a row, written in the transaction that caused it and delivered
after that transaction commits (app/services/messaging/outbox.py). A message goes to a registrant
or, for an account's own business (a password reset), to an organiser, or to a member of a
programme (a mentor, a mentee...): exactly one of the three."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import _enum
from app.models.programmes import Member
from app.models.registration import Registration
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Its occasion passed before it could be built (e.g. a confirmation for a registration
    # cancelled since): not sent, as the later message tells the person what is true now.
    SUPERSEDED = "superseded"
    # It could never be built (e.g. a stored title a mail header cannot carry): not retried;
    # `last_error` says why, on the organiser's registrations page.
    FAILED = "failed"


class MailKind(enum.StrEnum):
    """Which message a row is; each has one builder in app/services/messaging/messages.py."""

    CONFIRMATION = "confirmation"
    MANAGE_LINK = "manage_link"
    SEAT_CONFIRMED = "seat_confirmed"
    SEAT_OFFERED = "seat_offered"
    OFFER_LAPSED = "offer_lapsed"
    CANCELLATION = "cancellation"
    SEATS_CHANGED = "seats_changed"
    PASSWORD_RESET = "password_reset"  # to an organiser
    ORGANISER_MESSAGE = "organiser_message"  # written by an organiser to a segment
    COMMITMENTS_FOLLOW_UP = "commitments_follow_up"  # to an organiser
    VOTE_LINK = "vote_link"
    # To a member of a programme (app/services/programmes/mentoring_messages.py).
    PROGRAMME_JOINED = "programme_joined"
    MENTORING_MATCH = "mentoring_match"
    MENTORING_CHECK_IN = "mentoring_check_in"
    MENTORING_PARTNER_LEFT = "mentoring_partner_left"
    MENTORING_REMATCH = "mentoring_rematch"
    MENTORING_MATCH_ENDED = "mentoring_match_ended"
    MENTORING_AT_RISK = "mentoring_at_risk"  # to a programme's organiser
    # To a peer or host of a peer-challenge round (programmes/peer_challenge_messages.py).
    PEER_CHALLENGE_JOINED = "peer_challenge_joined"
    PEER_CHALLENGE_TEAM = "peer_challenge_team"
    PEER_CHALLENGE_MILESTONE = "peer_challenge_milestone"
    PEER_CHALLENGE_WITHDRAWAL = "peer_challenge_withdrawal"  # a published team lost someone
    PEER_CHALLENGE_TEAM_CHANGED = "peer_challenge_team_changed"
    # To a past event's registrant who asked to hear of programmes, or of peer challenges.
    PROGRAMME_INVITATION = "programme_invitation"
    PEER_CHALLENGE_INVITATION = "peer_challenge_invitation"


class OutgoingMail(db.Model):
    __table_args__ = (
        Index("ix_outgoing_mail_due", "status", "next_attempt_at"),
        CheckConstraint(
            "(CASE WHEN registration_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN member_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_recipient",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which message (a MailKind's value, stored as text) and its options.
    kind: Mapped[str] = mapped_column(String(40))
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MailStatus] = mapped_column(
        _enum(MailStatus, "mail_status"), default=MailStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not tried before this instant: now for a new message, a lease while one sender holds it,
    # a back-off after a failed attempt.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # Why the last attempt failed: a delivery error (PENDING, retried) or why it can never be
    # built (FAILED).
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration | None] = relationship()
    user: Mapped[User | None] = relationship()
    member: Mapped[Member | None] = relationship()

    @property
    def recipient(self) -> Registration | User | Member:
        """Whom the message is for: what its builder is given."""
        if self.registration_id is not None:
            return self.registration
        return self.user if self.user_id is not None else self.member

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.kind} {self.status}>"
