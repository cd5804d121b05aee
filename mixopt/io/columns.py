"""What a column header of a table says, one rule for every carrier (CSV tables, workbook
sheets, lab analyses): which field or constituent it names and in which unit.

- A header names a field (``available_max``) or a constituent (``Fe``), matched without
  regard to case, spaces, underscores or hyphens, and a unit in brackets or parentheses
  (``Available max [kg]``, ``FE (ppm)``). Constituents are chemical element symbols, or
  names the instance's alloys (or the shipped library) limit, and are read in their
  canonical spelling (``FE`` is ``Fe``). A header that names nothing known is refused
  with the closest known name; a column a planner keeps for himself is prefixed
  ``note:`` and not read. A column given twice is refused.
- The unit in a header is read: masses in t, kt or kg, prices per t or per kg,
  compositions in wt% or ppm, shares as fractions or %, footprints and energy in their
  usual multiples are converted to the field's unit (``Column.factor``); a currency other
  than the instance's is refused, and so is any other unit, naming those accepted.
- A number typed as text (``number_text``) is read as a CSV of unknown locale would be: a
  separator that could be a thousands separator or a decimal point (``1.260``,
  ``1,260``) is refused as ambiguous; ``1,5``, ``0.125``, ``1.234,5`` and ``1 260`` read
  as meant.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

log = logging.getLogger(__name__)

#: The chemical elements, by symbol.
ELEMENTS = (
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S",
    "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga",
    "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd",
    "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm",
    "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os",
    "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa",
    "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg",
    "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og")
#: Element names a lab export may use instead of symbols (for the closest-name hint only).
ELEMENT_NAMES = {
    "silicon": "Si", "silizium": "Si", "iron": "Fe", "eisen": "Fe", "copper": "Cu",
    "kupfer": "Cu", "manganese": "Mn", "mangan": "Mn", "magnesium": "Mg", "chromium": "Cr",
    "chrom": "Cr", "nickel": "Ni", "zinc": "Zn", "zink": "Zn", "titanium": "Ti", "titan": "Ti",
    "gallium": "Ga", "vanadium": "V", "lead": "Pb", "blei": "Pb", "tin": "Sn", "zinn": "Sn",
    "bismuth": "Bi", "wismut": "Bi", "zirconium": "Zr", "zirkonium": "Zr", "boron": "B",
    "bor": "B", "sodium": "Na", "natrium": "Na", "calcium": "Ca", "lithium": "Li",
    "strontium": "Sr", "beryllium": "Be", "cadmium": "Cd", "mercury": "Hg", "silver": "Ag",
    "antimony": "Sb", "cobalt": "Co", "phosphorus": "P", "sulfur": "S", "carbon": "C",
    "aluminium": "Al", "aluminum": "Al"}
#: Columns a planner keeps for his own notes start with this; they are not read.
NOTE_PREFIX = "note:"
#: A header ``name [unit]`` or ``name (unit)``.
_HEADER = re.compile(r"^(?P<name>.*?)\s*(?:\[(?P<b>[^\]]*)\]|\((?P<p>[^)]*)\))\s*$")
_SEPARATORS = re.compile(r"[\s_\-.]+")


def split_header(text: Any) -> tuple[str, str | None]:
    """(name, unit or None) of a header as written."""
    s = "" if text is None else str(text).strip()
    m = _HEADER.match(s)
    if not m:
        return s, None
    unit = m.group("b") if m.group("b") is not None else m.group("p")
    return m.group("name").strip(), unit.strip()


def name_key(text: str) -> str:
    """A name as matched: case, spaces, underscores and hyphens aside."""
    return _SEPARATORS.sub("", text).casefold()


def is_note(header: Any) -> bool:
    return str(header or "").strip().casefold().startswith(NOTE_PREFIX)


class Vocabulary:
    """The constituent names a table may use: every element symbol (unless ``elements`` is
    False) and the ``extra`` names (constituents the instance's alloys limit), each read in
    its canonical spelling."""

    def __init__(self, extra: Iterable[str] = (), elements: bool = True) -> None:
        self.names: dict[str, str] = {}
        for name in (*(ELEMENTS if elements else ()), *extra):
            self.names.setdefault(name_key(name), name)

    def canonical(self, name: str) -> str | None:
        return self.names.get(name_key(name))

    def closest(self, name: str) -> str | None:
        key = name_key(name)
        if key in ELEMENT_NAMES and name_key(ELEMENT_NAMES[key]) in self.names:
            return ELEMENT_NAMES[key]
        return closest(name, list(self.names.values()))


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like ``name`` (None when nothing is close)."""
    by_key = {name_key(k): k for k in known}
    hit = difflib.get_close_matches(name_key(name), list(by_key), n=1, cutoff=0.6)
    return by_key[hit[0]] if hit else None


def instance_constituents(raw: Mapping[str, Any]) -> list[str]:
    """The non-element constituents an instance's document limits (its alloys' windows
    and its products' aims; the shipped library's alloys use element symbols only)."""
    out: dict[str, None] = {}
    alloys = raw.get("alloys")
    for lim in (alloys.values() if isinstance(alloys, dict) else ()):
        if isinstance(lim, dict):
            out.update(dict.fromkeys(str(e) for e in lim))
    for p in raw.get("products") or ():
        if isinstance(p, dict) and isinstance(p.get("aim"), dict):
            out.update(dict.fromkeys(str(e) for e in p["aim"]))
    from mixopt.model.schema.alloys import library

    for a in library().values():
        out.update(dict.fromkeys(a.limits_wt_pct))
    return list(out)


def few(names: list[str], n: int = 5) -> str:
    """The first ``n`` names, and how many more: "a, b, c" or "a, b, c, d, e and 396
    more" (a warning about 401 materials names the count and the first few)."""
    head = ", ".join(names[:n])
    return f"{head} and {len(names) - n:,} more" if len(names) > n else head


#: A composition row without a value: refused, never read as pure metal.
BLANK_ROW = ("has no value in any constituent column: write 0 to say none (0 in every "
             "column for pure metal)")


class Blanks:
    """Blank cells in composition rows that hold values: read as 0 (no content) and said
    in one warning per table or sheet."""

    def __init__(self, where: str) -> None:
        self.where, self.rows, self.cells = where, [], 0

    def add(self, row: str, cells: int) -> None:
        self.rows.append(row)
        self.cells += cells

    def warn(self, table: str) -> None:
        if self.cells:
            log.warning("%s, %s: %d blank cell(s) read as 0 (none) in %d row(s): %s; write 0 "
                        "to say none", self.where, table, self.cells, len(self.rows),
                        few(self.rows, 4))


# ---------------------------------------------------------------------------- units

_CURRENCY_SYMBOLS = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy"}
_T = {"t": Fraction(1), "kg": Fraction(1, 1000), "kt": Fraction(1000)}


def _unit_key(text: str) -> str:
    s = text.casefold().replace("₂", "2").replace("·", "")
    for sym, code in _CURRENCY_SYMBOLS.items():
        s = s.replace(sym, code)
    s = re.sub(r"\bper\b", "/", s)
    s = re.sub(r"\btonnes?\b|\bmetric tons?\b", "t", s)
    s = re.sub(r"\bkilograms?\b|\bkgs\b", "kg", s)
    s = re.sub(r"\bpercent\b|\bpct\b", "%", s)
    s = re.sub(r"\s+", "", s)
    for alias in ("wt.-%", "wt-%", "wt.%", "gew.-%", "gew%", "mass-%", "mass%", "m.-%"):
        s = s.replace(alias, "wt%")
    return s.replace("mg/kg", "ppm").replace("co2eq", "co2e")


def _table(kind: str, currency: str) -> dict[str, Fraction]:
    """Accepted unit spellings (as ``_unit_key`` gives them) -> factor to the field's unit."""
    c = currency.casefold()
    if kind == "t":
        return dict(_T)
    if kind.startswith("currency/t"):
        tail = kind[len("currency/t"):].strip()  # "", "slab", "CO2e", "per period"
        suffixes = [""] + ([_unit_key(tail)] if tail else [])
        return {f"{c}/{m}{s}": 1 / f for m, f in _T.items() for s in suffixes}
    if kind == "wt%":
        return {"wt%": Fraction(1), "%": Fraction(1), "ppm": Fraction(1, 10000)}
    if kind in ("share 0..1", "t/t", "probability 0.5..1"):
        out = {"fraction": Fraction(1), "share": Fraction(1), "0..1": Fraction(1),
               "%": Fraction(1, 100), _unit_key(kind): Fraction(1)}
        if kind == "t/t":
            out["kg/kg"] = Fraction(1)
        if kind == "probability 0.5..1":
            out["probability"] = out["0.5..1"] = Fraction(1)
        return out
    if kind in ("t CO2e/t", "t CO2e/t slab"):
        suffixes = ["", "slab"] if kind.endswith("slab") else [""]
        return {f"{a}co2e/{b}{s}": fa / fb for a, fa in _T.items() for b, fb in _T.items()
                for s in suffixes if fa / fb in (1, Fraction(1, 1000))}
    if kind == "MWh/t":
        return {"mwh/t": Fraction(1), "kwh/t": Fraction(1, 1000), "kwh/kg": Fraction(1)}
    if kind == "t CO2e/MWh":
        return {"tco2e/mwh": Fraction(1), "kgco2e/mwh": Fraction(1, 1000),
                "kgco2e/kwh": Fraction(1), "gco2e/kwh": Fraction(1, 1000)}
    if kind == "sd":
        return {"sd": Fraction(1)}
    return {}


def shown_units(kind: str, currency: str) -> list[str]:
    """The units a column of ``kind`` accepts, as a person writes them."""
    cur = currency
    return {"t": ["t", "kt", "kg"], "wt%": ["wt%", "%", "ppm"],
            "share 0..1": ["fraction (0..1)", "%"], "t/t": ["t/t", "fraction", "%"],
            "probability 0.5..1": ["fraction (0.5..1)", "%"],
            "t CO2e/t": ["t CO2e/t", "kg CO2e/kg", "kg CO2e/t"],
            "t CO2e/t slab": ["t CO2e/t slab", "kg CO2e/t slab"],
            "MWh/t": ["MWh/t", "kWh/t", "kWh/kg"],
            "t CO2e/MWh": ["t CO2e/MWh", "kg CO2e/MWh", "kg CO2e/kWh", "g CO2e/kWh"],
            "sd": ["sd"], "currency/t CO2e": [f"{cur}/t CO2e", f"{cur}/kg CO2e"],
            "currency/t slab": [f"{cur}/t slab", f"{cur}/kg"],
            "currency/t per period": [f"{cur}/t per period", f"{cur}/kg"],
            "currency/t": [f"{cur}/t", f"{cur}/kg"]}.get(kind, [kind.replace("currency", cur)])


def unit_factor(kind: str, given: str, currency: str) -> Fraction | str:
    """The factor from ``given`` (a header's unit) to the field's unit ``kind``, or why
    ``given`` is refused."""
    key = _unit_key(given)
    table = _table(kind, currency)
    if key in table:
        return table[key]
    if kind and key == _unit_key(kind.replace("currency", currency)):
        return Fraction(1)  # the field's own unit, as the template writes it
    if not kind:
        return f"takes no unit, but its header gives {given!r}: write the header without it"
    if kind.startswith("currency"):
        m = re.match(r"^([a-z]{3})/", key)
        if m and m.group(1) != currency.casefold():
            return (f"is in {m.group(1).upper()}, but the instance's prices are in {currency} "
                    "(the 'currency' setting): convert the column, or change the currency")
    return (f"unit {given!r} is not one this column takes: write it in "
            f"{' or '.join(shown_units(kind, currency))}")


# ---------------------------------------------------------------------------- headers

@dataclass(frozen=True)
class Column:
    index: int  # its position in the table (as the carrier counts)
    header: str  # as written
    name: str  # the field or constituent it names, canonical
    kind: str  # the field's unit ("" for text)
    given: str | None  # the unit its header gives
    factor: Fraction  # a value as written times this is in the field's unit

    def value(self, v: Any) -> Any:
        """A number in the field's unit (text and booleans as they are)."""
        if self.factor == 1 or isinstance(v, bool) or not isinstance(v, int | float):
            return v
        return float(Fraction(v) * self.factor)


@dataclass
class Header:
    """A header row resolved: the columns read, and what is wrong with it."""

    columns: list[Column] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (index, header, msg)
    ignored: list[str] = field(default_factory=list)  # lab analyses: non-element columns

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    def converted(self) -> list[str]:
        """'header: unit -> field unit' for every column read in another unit."""
        return [f"{c.header} ({c.given} -> {c.kind})" for c in self.columns
                if c.factor != 1]


def resolve(headers: Iterable[tuple[int, Any]], fields: Mapping[str, str], *,
            constituents: Vocabulary | None = None, constituent_kind: str = "wt%",
            currency: str = "USD", lab: bool = False) -> Header:
    """The columns ``headers`` ((index, text) pairs) name: ``fields`` (canonical name ->
    unit kind), and, given ``constituents``, constituents in ``constituent_kind``. With
    ``lab`` a header naming nothing known is ignored (listed in ``ignored``), not refused."""
    out = Header()
    by_key = {name_key(f): f for f in fields}
    first: dict[str, Column] = {}
    for index, text in headers:
        raw = "" if text is None else str(text).strip()
        if not raw or is_note(raw):
            continue
        name, given = split_header(raw)
        field_name = by_key.get(name_key(name))
        kind = fields.get(field_name, "") if field_name else constituent_kind
        canonical = field_name or (constituents.canonical(name) if constituents else None)
        if canonical is None and constituents is not None and given is None:
            bare = _TRAILING_UNIT.match(name)  # "Fe ppm", "Mn_%": a unit without brackets
            if bare and constituents.canonical(bare.group("name")):
                name, given = bare.group("name"), bare.group("unit")
                canonical = constituents.canonical(name)
        if canonical is None:
            if lab:
                out.ignored.append(raw)
                continue
            out.problems.append((index, raw, _unknown(name, fields, constituents)))
            continue
        factor: Fraction | str = Fraction(1)
        if given is not None and given != "":
            factor = unit_factor(kind, given, currency)
            if isinstance(factor, str):
                out.problems.append((index, raw, factor))
                continue
        col = Column(index, raw, canonical, kind, given or None, factor)
        if canonical in first:
            again = (f"names {canonical!r} again (first given as "
                     f"{first[canonical].header!r}): a column given twice is refused; keep one")
            out.problems.append((index, raw, again))
            continue
        first[canonical] = col
        out.columns.append(col)
    return out


#: A constituent's header with its composition unit after a space or underscore.
_TRAILING_UNIT = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*)[\s_]*(?P<unit>ppm|wt\.?-?%|%|"
                            r"mg/kg)$", re.IGNORECASE)


def _unknown(name: str, fields: Mapping[str, str], constituents: Vocabulary | None) -> str:
    known = list(fields)
    near = closest(name, known)
    if near is None and constituents is not None:
        near = constituents.closest(name)
    hint = f"; did you mean {near!r}?" if near else ""
    what = (f"a column of this table ({', '.join(known)})" if not constituents else
            f"a column of this table ({', '.join(known)}) nor a constituent (a chemical "
            "element symbol, or a name the instance's alloys limit)")
    return (f"{name!r} is not {what}{hint} (a column of your own notes: start its header "
            f"with {NOTE_PREFIX!r})")


# ---------------------------------------------------------------------------- numbers

_PLAIN = re.compile(r"^[-+]?\d+$")
_ONE_SEP = re.compile(r"^(?P<sign>[-+]?)(?P<int>\d+)(?P<sep>[.,])(?P<frac>\d+)$")
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*$")
_BOTH = re.compile(r"^[-+]?\d{1,3}(?P<g>[.,])\d{3}(?:(?P=g)\d{3})*(?P<d>[.,])\d+$")
_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009']+(?=\d{3}\b)")


def number_text(text: str) -> float | str | None:
    """A number typed as text, read whatever the locale: a float; a message when it is
    ambiguous (``1.260``: a thousands separator or a decimal point?); None when it is not
    a number at all."""
    s = _SPACES.sub("", text.strip())
    if _PLAIN.match(s):
        return float(s)
    m = _ONE_SEP.match(s)
    if m:
        if len(m.group("frac")) == 3 and m.group("int").lstrip("0") != "":
            alt = m.group("int") + m.group("frac")
            return (f"{text.strip()!r} is ambiguous: {m.group('sep')!r} may separate "
                    f"thousands ({m.group('sign')}{int(alt):,}) or decimals "
                    f"({m.group('sign')}{m.group('int')}.{m.group('frac')}): type the number "
                    "as a number, or without a thousands separator")
        return float(f"{m.group('sign')}{m.group('int')}.{m.group('frac')}")
    m = _BOTH.match(s)
    if m and m.group("g") != m.group("d"):
        return float(s.replace(m.group("g"), "").replace(m.group("d"), "."))
    m = _GROUPED.match(s)
    if m:
        return float(s.replace(m.group("sep"), ""))
    if re.match(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$", s):
        return float(s)  # 1e3, 1.5E-3, .5 (a dot before digits only, or an exponent)
    return None
