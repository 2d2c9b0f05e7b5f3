"""The data model. Models hold data and database-level integrity; rules live in app/services."""

from app.models.account import PasswordReset, SignIn
from app.models.api_token import ApiToken
from app.models.commitments import Action, ActionStatus, ActionUpdate, FollowUp
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
from app.models.mentoring import (
    MentoringCheckIn,
    MentoringMatching,
    MentoringPair,
    MentoringPreference,
)
from app.models.planning import (
    Assignment,
    JobKind,
    JobState,
    Plan,
    PlanKind,
    PlanStatus,
    SeatingRule,
    SeatingRuleKind,
    SolveJob,
)
from app.models.programmes import (
    JoinLink,
    Member,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    programme_organisers,
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
    "JobKind",
    "JobState",
    "JoinLink",
    "MailKind",
    "MailStatus",
    "Member",
    "MentoringCheckIn",
    "MentoringMatching",
    "MentoringPair",
    "MentoringPreference",
    "Organisation",
    "OrganisationAlias",
    "OrganisationChange",
    "OutgoingMail",
    "PasswordReset",
    "Plan",
    "PlanKind",
    "PlanStatus",
    "PlenaryVote",
    "Programme",
    "ProgrammeKind",
    "ProgrammeStatus",
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
    "programme_organisers",
    "series_events",
    "series_organisers",
]
