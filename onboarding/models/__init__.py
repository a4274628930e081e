"""Onboarding (SPEC O1–O4) and SIEM workshops (W1–W6): one model per idea, shared by both.

Meetings and deliverables are the shared pieces (kick-off, SAL reviews and SIEM workshops are all
meetings with minutes; minutes, manuals, sizing sheets and charters are all deliverables). Each
capability keeps its models in its own module here."""

from onboarding.models.documents import Deliverable, ProviderDocument
from onboarding.models.meetings import Meeting
from onboarding.models.plan import (
    OnboardingPlan,
    PlanStep,
    PlanWarning,
    ReleaseItem,
    TrainingProgress,
)
from onboarding.models.prerequisites import (
    ListedUser,
    Logo,
    UserListUpload,
    WhitelistingConfirmation,
)
from onboarding.models.siem import (
    DashboardChoice,
    DashboardOffer,
    Deficiency,
    LicenceMetric,
    LogSourceType,
    OperationsDuty,
    RetentionDecision,
    SiemLogSource,
    SiemPricing,
    SiemProject,
    SiemWorkshop,
)

__all__ = [
    "DashboardChoice",
    "DashboardOffer",
    "Deficiency",
    "LicenceMetric",
    "LogSourceType",
    "OperationsDuty",
    "RetentionDecision",
    "SiemLogSource",
    "SiemPricing",
    "SiemProject",
    "SiemWorkshop",
    "Deliverable",
    "ListedUser",
    "Logo",
    "Meeting",
    "OnboardingPlan",
    "PlanStep",
    "PlanWarning",
    "ProviderDocument",
    "ReleaseItem",
    "TrainingProgress",
    "UserListUpload",
    "WhitelistingConfirmation",
]
