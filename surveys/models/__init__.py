"""Models of both stores. Import from here so that both binds are always registered."""

from surveys.models.answers import (
    ANSWER_COLUMNS,
    Dismissal,
    FunnelCount,
    Response,
    Survey,
)
from surveys.models.api import ApiClient, ProfileChange, WebhookDelivery
from surveys.models.identity import (
    ConsentLink,
    ConsentRecord,
    ProfileRead,
    ShopperSession,
    StaffSession,
    StaffUser,
    UsedToken,
)
from surveys.models.releases import Release, ReleaseTable

__all__ = [
    "ANSWER_COLUMNS",
    "ApiClient",
    "ConsentLink",
    "ConsentRecord",
    "Dismissal",
    "FunnelCount",
    "ProfileChange",
    "ProfileRead",
    "Release",
    "ReleaseTable",
    "Response",
    "ShopperSession",
    "StaffSession",
    "StaffUser",
    "Survey",
    "UsedToken",
    "WebhookDelivery",
]
