"""The data model. Models hold data and database-level integrity; rules live in app/services."""

from app.models.account import PasswordReset, SignIn
from app.models.api_token import ApiToken
from app.models.commitments import Action, ActionStatus, ActionUpdate, FollowUp, FollowUpInterval
from app.models.directory import OrganisationAlias, OrganisationChange, Sector, SectorAlias
from app.models.event import (
    Breakout,
    Event,
    EventStatus,
    Organisation,
    Session,
    SessionKind,
    Table,
    WaitlistPolicy,
)
from app.models.harvest import (
    Briefing,
    BriefingStatus,
    CapturePoint,
    Card,
    CardStatus,
    Reflection,
    ReflectionTemplate,
    Theme,
    event_harvest_editors,
)
from app.models.mail import MailKind, MailStatus, OutgoingMail
from app.models.planning import (
    Assignment,
    JobState,
    Plan,
    PlanKind,
    PlanStatus,
    SeatingRule,
    SeatingRuleKind,
    SolveJob,
)
from app.models.registration import BreakoutPreference, Registration, RegistrationStatus
from app.models.series import Series, ThemeLink, series_events, series_organisers
from app.models.user import User, UserRole
from app.models.voting import Ballot, Choice, PlenaryVote, Statement

__all__ = [
    "Action",
    "ActionStatus",
    "ActionUpdate",
    "ApiToken",
    "Assignment",
    "Ballot",
    "Breakout",
    "BreakoutPreference",
    "Briefing",
    "BriefingStatus",
    "CapturePoint",
    "Card",
    "CardStatus",
    "Choice",
    "Event",
    "EventStatus",
    "FollowUp",
    "FollowUpInterval",
    "JobState",
    "MailKind",
    "MailStatus",
    "Organisation",
    "OrganisationAlias",
    "OrganisationChange",
    "OutgoingMail",
    "PasswordReset",
    "Plan",
    "PlanKind",
    "PlanStatus",
    "PlenaryVote",
    "Reflection",
    "ReflectionTemplate",
    "Registration",
    "RegistrationStatus",
    "SeatingRule",
    "SeatingRuleKind",
    "Sector",
    "SectorAlias",
    "Series",
    "Session",
    "SessionKind",
    "SignIn",
    "SolveJob",
    "Statement",
    "Table",
    "Theme",
    "ThemeLink",
    "User",
    "UserRole",
    "WaitlistPolicy",
    "event_harvest_editors",
    "series_events",
    "series_organisers",
]
