"""The loyalty programme simulator of DESIGN §7: would points, stamps, cashback or tiers pay?

``programme`` holds the parameters, ``baseline`` measures the customers without a programme,
``replay`` runs the programme exactly on last year's orders of its members, ``projection``
carries it forward month by month, and ``simulation`` does all four for one dataset (the
command line's JSON). Only the parameters are re-exported here: the projection needs scipy,
which the command line's other commands should not pay for.
"""

from retention.loyalty.programme import (
    JOINERS,
    PRESET_LABELS,
    PRESETS,
    PROGRAMME_TYPES,
    LoyaltyProgramme,
)

__all__ = ["JOINERS", "PRESETS", "PRESET_LABELS", "PROGRAMME_TYPES", "LoyaltyProgramme"]
