"""The shipped alloy library: cited chemistry windows from ``models/alloy_specs.csv``.

A product may name an alloy that its instance does not define; the library then
supplies the limits. The instance's own definition always wins.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class LibraryAlloy:
    name: str
    limits_wt_pct: dict[str, tuple[float, float]]
    sources: dict[str, str]


def library_path() -> Path:
    """The CSV behind the library: packaged copy in a wheel, ``models/`` in a checkout."""
    packaged = resources.files("mixopt").joinpath("_models/alloy_specs.csv")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "models" / "alloy_specs.csv"


@functools.cache
def library() -> dict[str, LibraryAlloy]:
    """All alloys of the shipped library, by name."""
    limits: dict[str, dict[str, tuple[float, float]]] = {}
    sources: dict[str, dict[str, str]] = {}
    with library_path().open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            alloy, element = row["alloy"], row["element"]
            limits.setdefault(alloy, {})[element] = (float(row["min_wt_pct"]),
                                                     float(row["max_wt_pct"]))
            sources.setdefault(alloy, {})[element] = row["source"]
    return {a: LibraryAlloy(a, limits[a], sources[a]) for a in limits}
