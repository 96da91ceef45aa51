"""Models of both stores. Import from here so that both binds are always registered."""

from surveys.models.answers import (
    ANSWER_COLUMNS,
    Dismissal,
    FunnelCount,
    Response,
    RollupCell,
    Survey,
)
from surveys.models.identity import StaffSession, StaffUser, UsedToken

__all__ = ["ANSWER_COLUMNS", "Dismissal", "FunnelCount", "Response", "Survey", "UsedToken"]
__all__ += ["RollupCell", "StaffSession", "StaffUser"]
