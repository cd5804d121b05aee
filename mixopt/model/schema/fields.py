"""The building blocks of every input field: numbers that are never booleans, NaN or
infinite, magnitudes bounded where a slip is likely, names that are one line, and the
``_field`` that records a field's unit and meaning (the registry the readers, the
templates and the docs are generated from)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

#: A control character (C0 or DEL): never part of a name.
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _one_line(value: str) -> str:
    """A name is one line of visible text: no tab, line break or other control character
    (a spreadsheet or a terminal would show something else)."""
    if _CONTROL.search(value):
        raise ValueError("contains a control character (a tab or a line break): a name is "
                         "one line of text")
    return value


#: A name of a product, material, alloy or instance: non-empty, one line.
Name = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]

#: What no output can hold: control characters other than tab and line breaks (XML 1.0,
#: and so every workbook and report, refuses them), and U+FFFE, U+FFFF.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _printable(value: str) -> str:
    """Free text may run over lines and hold tabs, but no other control character (a
    workbook could not hold it, a report would not show it)."""
    found = _INVISIBLE.search(value)
    if found:
        raise ValueError(f"contains the control character U+{ord(found.group()):04X}: free "
                         "text may hold tabs and line breaks, no other invisible character")
    return value


#: Free text for people (a source, a kind, a description): any printable text.
Text = Annotated[str, AfterValidator(_printable)]


def _field(description: str, unit: str = "", **kwargs):
    return Field(description=description, json_schema_extra={"unit": unit}, **kwargs)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _number(value: Any) -> Any:
    """true/false is not a number (pydantic would take it as 1 or 0)."""
    if isinstance(value, bool):
        raise ValueError("a true/false value is not a number")  # noqa: TRY004 - shown to users
    return value


#: Every number of an instance: never a boolean, never NaN or infinite (``_Frozen``).
Real = Annotated[float, BeforeValidator(_number)]
NonNeg = Annotated[Real, Field(ge=0)]
WtPct = Annotated[Real, Field(ge=0, le=100)]

# Magnitudes beyond these are typing slips (and would ruin HiGHS's scaling): they are
# refused up front, naming the field, instead of coming back "infeasible".
#: Tonnes of an order or a supply: from 1 kg to 10 Mt.
Tonnes = Annotated[Real, Field(ge=1e-3, le=1e7)]
#: Supplies (a month's offer of one material) may be 0.
SupplyTonnes = Annotated[Real, Field(ge=0, le=1e7)]
#: Lots and minimum orders: from 1 kg to 10 Mt.
LotTonnes = Annotated[Real, Field(ge=1e-3, le=1e7)]
#: A count of things (materials in a charge): a whole number from 1 to 100,000 (6.0 is 6;
#: 6.5 is refused).
Count = Annotated[int, BeforeValidator(_number), Field(ge=1, le=100_000)]
#: A price per t (or per t CO2e): at most 10 million.
Price = Annotated[Real, Field(ge=0, le=1e7)]
#: A footprint per t: at most 10,000 t CO2e.
FootprintPerT = Annotated[Real, Field(ge=0, le=1e4)]


#: Constituent names: free identifiers (chemical symbols, or groups such as ``GI``).
CONSTITUENT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
Constituent = Annotated[str, StringConstraints(pattern=CONSTITUENT_RE.pattern)]


def _window(value: tuple[float, float]) -> tuple[float, float]:
    lo, hi = value
    if lo > hi:
        raise ValueError(f"min ({lo:g}) is above max ({hi:g})")
    return value


#: ``[min, max]`` in wt% of one constituent of an alloy.
Window = Annotated[tuple[WtPct, WtPct], AfterValidator(_window)]
AlloyLimits = dict[Constituent, Window]
#: A probability with which limits must hold: at least one half, below one.
Confidence = Annotated[Real, Field(ge=0.5, lt=1)]
