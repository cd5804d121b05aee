"""What a constraint family is: one definition that every part of mixopt reads.

A ``Family`` ties together, for one kind of limit (chemistry, supply, ...):

- ``define``: the ``define_*`` function that writes its rows into the LP (``LPBuilder``),
  in the unit of the limit (rows per product are divided by the order's tonnes);
- ``check``: its solver-free recheck on a plan's ``Figures``, yielding ``Violation``\\ s
  keyed exactly like its rows;
- ``dual``: the unit of its shadow price and the scale from LP-row units to it;
- ``words``: the limit in a planner's words ("AA3104 slab: Fe max 0.8 wt%");
- ``elastic``: how diagnose may bend it (the size of 100% of the limit, and the
  instance change that a bent plan asks for); or, for a MILP rule, ``loosen``: the
  changes diagnose tries in turn, each verified by a solve;
- the math (``label``, ``math``, ``domain``, ``fields``) from which
  ``models/formulation.md`` is generated.

Families live one per module in this package; ``mixopt.model.families.FAMILIES`` is
the registry, in row order. A family's ``scope`` says what it reads: a ``"period"``
family writes the rows of one period (``define(b, arrays)``, ``check(figures)``, words
and relaxations on that period's arrays and instance), and in a plan of several periods
its rows are written once per period; a ``"horizon"`` family links the periods
(``define(b, window)``, ``check(plan)``, words on the ``Window``, relaxations on the
``Horizon``; ``families.periods.LINKING``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mixopt.model.figures import Violation
from mixopt.model.lp import Block, LinearProgram, LPBuilder

Side = Literal["min", "max", "equal"]


@dataclass(frozen=True)
class Relaxation:
    """Change one limit of the instance: the field at ``path`` to ``value``."""

    family: str
    key: tuple[str, ...]
    side: str
    path: str
    value: Any
    message: str

    @property
    def where(self) -> str:
        return " / ".join(self.key) if self.key else "all products"


@dataclass(frozen=True)
class Dual:
    """A family's shadow price: ``per`` is the limit's unit; ``scale(figures, key)`` turns
    the LP row's dual y (per row unit) into "per ``per``" of the limit, as ``formula``
    states it for the math document."""

    per: str
    scale: Callable[[Any, tuple], float] = lambda fig, key: 1.0  # (Figures or plan, key)
    formula: str = "y (the row is in the limit's unit)"
    #: the unit of one row's limit, when a family's rows have different units
    per_key: Callable[[tuple], str] | None = None

    def unit(self, key: tuple) -> str:
        return self.per_key(key) if self.per_key is not None else self.per


@dataclass(frozen=True)
class Elastic:
    """How diagnose bends a family. ``kind``: "supply" (more of a material) or "limit"
    (a chemistry window, cap or share). ``refs(lp, block, arrays)``: per row, the size of
    100% of its lower and upper limit in row units (so a slack of 1.0 moves the limit by
    100%). ``relax(violation, figures, instance)``: the instance change that admits the
    bent plan."""

    kind: Literal["supply", "limit"]
    refs: Callable[[LinearProgram, Block, Any], tuple[np.ndarray, np.ndarray]]
    relax: Callable[[Violation, Any, Any], Relaxation | None]


@dataclass(frozen=True)
class Family:
    name: str  # the family, and the name of its (first) row block
    label: str  # short label in the math document, e.g. "CH"
    title: str
    math: str  # the rows, in the symbols of models/formulation.md
    domain: str  # for which indices a row exists
    fields: str  # the instance fields it reads
    keys: tuple[str, ...]  # names of the key parts of its rows
    # the contexts are a period's (arrays, Figures, Instance) or, for a family of scope
    # "horizon", the Window, HorizonPlan and Horizon
    define: Callable[[LPBuilder, Any], None]
    check: Callable[[Any], Iterable[Violation]]
    words: Callable[[tuple, str, Any], str]
    dual: Dual | None = None  # None: no shadow price (purchase-rule rows of a MILP)
    elastic: Elastic | None = None  # None: diagnose keeps it hard
    reached: Callable[[tuple, str, Any], str] | None = None  # frontier wording
    columns: Callable[[LPBuilder, Any], None] | None = None  # its own columns
    blocks: tuple[str, ...] = ()  # row blocks beyond ``name`` that it writes
    implied: str = ""  # rows that others imply: why this family has no recheck of its own
    #: "period": rows of one period, on its arrays; "horizon": rows that link periods
    scope: Literal["period", "horizon"] = "period"
    #: a MILP rule that the LP relaxation cannot bend: ``loosen(arrays, period)`` yields,
    #: per limit, the relaxations diagnose tries in turn (each verified by a solve)
    loosen: Callable[[Any, str], Iterable[list[Relaxation]]] | None = None

    @property
    def row_blocks(self) -> tuple[str, ...]:
        return (self.name, *self.blocks)

    def reached_words(self, key: tuple, side: str, d: Any) -> str:
        """What it means, in words, that this limit binds (frontier 'changes')."""
        if self.reached is not None:
            return self.reached(key, side, d)
        return f"{self.words(key, side, d)} binding"
