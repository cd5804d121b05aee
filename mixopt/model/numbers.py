"""Figures for a person: never in exponent form (22,688,752, not 2.26888e+07; 0.0000123,
not 1.23e-05), thousands separated. One definition for every text mixopt shows."""

from __future__ import annotations

import math

#: Past this many decimals a figure is shown as 0 (it is below any tolerance of a plan).
MAX_DECIMALS = 9


def number(x: float, digits: int = 6) -> str:
    """``x`` to ``digits`` significant digits (whole numbers past them), thousands
    separated, trailing zeros of the decimals dropped."""
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "unbounded" if x > 0 else "-unbounded"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:,.0f}"
    decimals = min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(x)))))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
