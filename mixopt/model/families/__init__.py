"""The registry of constraint families, in row order: one entry per family.

Adding a family: write one module here with its ``define_*``, recheck, words (and, as
it applies, dual, relaxation and columns), put its ``Family`` in ``FAMILIES``, add its
arrays to ``mixopt.model.arrays`` and its input fields to ``mixopt.model.schema.instance``,
and regenerate ``models/formulation.md`` (``python -m mixopt.dev.docs``). The formulation,
the recheck, the shadow prices, diagnose, the frontier and the reports all read the
family from here; ``tests/test_families.py`` checks its rows against its recheck on
random plans.
"""

from __future__ import annotations

from mixopt.model.families import (
    aim,
    capacities,
    chance,
    charges,
    chemistry,
    footprint_caps,
    labels,
    margin,
    mass_balance,
    periods,
    purchase_rules,
    recycled_share,
    supply,
)
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation

FAMILIES: tuple[Family, ...] = (
    mass_balance.FAMILY,
    chemistry.FAMILY,
    chance.FAMILY,
    margin.FAMILY,
    aim.FAMILY,
    supply.FAMILY,
    capacities.FAMILY,
    footprint_caps.PRODUCT,
    footprint_caps.INSTANCE,
    recycled_share.FAMILY,
    labels.FAMILY,
    purchase_rules.LOTS,
    purchase_rules.MIN_ORDER,
    charges.MIN_CHARGE,
    charges.MAX_MATERIALS,
    charges.RULES,
)

#: The families that link periods (``families.periods``), in row order.
LINKING: tuple[Family, ...] = periods.LINKING
#: Every family, period and linking.
ALL: tuple[Family, ...] = FAMILIES + LINKING

BY_NAME: dict[str, Family] = {f.name: f for f in ALL}
#: Row block name -> the family that writes it.
BY_BLOCK: dict[str, Family] = {blk: f for f in ALL for blk in f.row_blocks}
#: Every key name a period's family uses, in first-seen order (columns of the dual
#: table; a plan of several periods adds "period" in front).
KEY_NAMES: tuple[str, ...] = tuple(dict.fromkeys(k for f in FAMILIES for k in f.keys))

__all__ = ["ALL", "BY_BLOCK", "BY_NAME", "FAMILIES", "KEY_NAMES", "LINKING", "Dual", "Elastic",
           "Family", "Relaxation"]
