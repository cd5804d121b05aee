"""Column names in people's words: one definition that every table for people reads
(results workbooks, compare/sweep/pareto workbooks, the terminal's shadow prices).

Columns carry their unit in their name (``charged_t``, ``min_wt_pct``,
``footprint_per_t``, ``mac_per_t_co2e``); the label and the unit are derived from that
name, so a new column gets a header, a unit and a number format without a new entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from mixopt.io.spreadsheet import number_format
from mixopt.model.numbers import number

#: Unit suffixes of column names, longest first: (suffix, unit). "currency" is replaced by
#: the instance's currency when shown.
SUFFIXES = (
    ("_mwh_per_t", "MWh/t slab"),
    ("_t_co2e_per_t", "t CO2e/t slab"),
    ("_per_t_co2e", "currency/t CO2e"),
    ("_per_t", "t CO2e/t slab"),
    ("_wt_pct", "wt%"),
    ("_probability", "probability"),
    ("_share", "share 0..1"),
    ("_t", "t"),
)

#: Columns whose names do not end in their unit: (label, unit).
NAMED = {
    "tonnes": ("Charged", "t"),
    "share": ("Share of the product's charge", "share 0..1"),
    "cost": ("Cost", "currency"),
    "carbon_cost": ("Carbon cost", "currency"),
    "revenue": ("Revenue", "currency"),
    "margin": ("Margin (revenue less cost and carbon cost)", "currency"),
    "holding_cost": ("Holding cost", "currency"),
    "take_or_pay_cost": ("Take-or-pay", "currency"),
    "electricity_mwh_per_t": ("Electricity", "MWh/t slab"),
    "renewable_electricity_share": ("Renewable share of the electricity", "share 0..1"),
    "footprint_scope1_t_co2e_per_t": ("Footprint, scope 1", "t CO2e/t slab"),
    "footprint_scope2_t_co2e_per_t": ("Footprint, scope 2", "t CO2e/t slab"),
    "footprint_scope3_t_co2e_per_t": ("Footprint, scope 3", "t CO2e/t slab"),
    "confidence": ("Confidence", "probability"),
    "p_below_min": ("P(below min)", "probability"),
    "p_above_max": ("P(above max)", "probability"),
    "mac_per_t_co2e": ("Marginal abatement cost", "currency/t CO2e"),
    "cap_t_co2e_per_t": ("Footprint cap", "t CO2e/t slab"),
    "sd_wt_pct": ("Spread (1 sd)", "wt%"),
    "achieved_wt_pct": ("Achieved", "wt%"),
    "shadow_price": ("Shadow price", "objective per unit"),
    "per": ("Per", ""),
    "coefficient": ("Objective coefficient", "objective/t"),
    "enter_if_lower_by": ("Enters if lower by", "objective/t"),
    "optimal_from": ("Mix optimal from", "objective/t"),
    "optimal_to": ("Mix optimal to", "objective/t"),
    "largest_changes_vs_base": ("Largest changes against the base", ""),
    "objective_unit": ("Objective unit", ""),
    "footprint_full_per_t": ("Footprint, full scope", "t CO2e/t slab"),
    "footprint_scope12_per_t": ("Footprint, scope 1+2", "t CO2e/t slab"),
    "footprint_t": ("Footprint", "t CO2e"),
    "footprint_per_t": ("Footprint", "t CO2e/t slab"),
    "slab_t": ("Slab produced", "t"),
    "off_spec_heat_probability": ("Off-spec heats", "probability"),
    "inert_anode_t": ("Inert-anode metal", "t"),
    "charged_t": ("Metal charged", "t"),
}

#: The step a planner thinks in, per unit of a limit: (step, how it is said).
STEPS = {"t": (1.0, "1 t more"), "wt%": (0.01, "0.01 wt% higher"),
         "share": (0.01, "1 percentage point higher"),
         "t CO2e/t slab": (0.01, "0.01 t CO2e/t higher")}


@dataclass(frozen=True)
class Column:
    name: str  # as in the data (JSON, CSV)
    label: str  # for people
    unit: str  # "" for text; "currency" etc. resolved by ``shown_unit``

    def header(self, currency: str = "", objective_unit: str = "") -> str:
        unit = self.shown_unit(currency, objective_unit)
        return f"{self.label} [{unit}]" if unit else self.label

    def shown_unit(self, currency: str = "", objective_unit: str = "") -> str:
        if self.unit in ("share 0..1", "probability"):
            return "%"
        u = self.unit.replace("currency", currency or "currency")
        return u.replace("objective", objective_unit or "objective") if u else ""

    @property
    def number_format(self) -> str:
        if self.unit == "probability":
            return "0.00%"
        if self.unit.startswith("objective"):
            return "#,##0.000"
        return number_format(self.unit)


def column(name: str) -> Column:
    """The label and unit of a column, from its name."""
    if name in NAMED:
        label, unit = NAMED[name]
        return Column(name, label, unit)
    for suffix, unit in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return Column(name, _words(name[: -len(suffix)]), unit)
    return Column(name, _words(name), "")


def _words(stem: str) -> str:
    if "." in stem:  # a field path (a sweep's varied field): as the user wrote it
        return stem
    text = stem.strip("_").replace("_", " ").replace("post consumer", "post-consumer")
    text = text.replace("pre consumer", "pre-consumer").replace("inert anode", "inert-anode")
    return text[:1].upper() + text[1:] if text else stem


def worth_words(shadow_price: float, per: str, unit: str) -> str:
    """A shadow price as a planner says it: '1 t more saves 4.705 t CO2e'."""
    step, said = STEPS.get(per, (1.0, f"1 {per} more"))
    change = shadow_price * step
    verb = "saves" if change < 0 else "adds"
    return f"{said} {verb} {number(abs(change), 4)} {unit}"


def confidence_words(objective: object, products: tuple = ()) -> str:
    """The confidence a plan is made at, in words ("" on the mean): "every alloy limit
    held with probability 95% (each limit on its own); AA3104 slab at 99%"."""
    a = getattr(objective, "confidence", None)
    per = getattr(objective, "confidence_per", "limit")
    said = []
    if a is not None:
        said.append(f"every alloy limit held with probability {a * 100:.4g}% ("
                    + ("each limit on its own" if per == "limit" else
                       "a heat meets all its limits at once") + ")")
    said += [f"{p.name} at {p.confidence * 100:.4g}%" for p in products
             if getattr(p, "confidence", None) is not None]
    margin = getattr(objective, "margin_sd", 0.0) or 0.0
    if margin:
        said.append(f"every limit with a margin of {margin:g} sd")
    return "; ".join(said)
