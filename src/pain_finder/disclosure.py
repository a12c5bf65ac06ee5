"""Small-number suppression and rounding: the only way a count leaves the practice.

(Contract stub written by the lead; the counts engineer owns and completes this module.)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DisclosurePolicy(BaseModel):
    """How counts are protected before they are shared. Recorded in every summary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["standard", "none"] = Field(
        "standard", description="'standard': suppress small counts and round; 'none': exact counts (trusted use only)"
    )
    threshold: int = Field(7, ge=0, description="counts from 1 to this value are suppressed")
    rounding_base: int = Field(5, ge=1, description="other counts are rounded to the nearest multiple of this")
