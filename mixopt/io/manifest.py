"""The regression manifest (``expected.json`` in a folder of instances): the one
definition of its format, read by ``mixopt check`` and by mixopt's own regression tests.

```json
{"_about": "free text",
 "runs": [
   {"id": "can-body", "path": "can-body.toml", "status": "optimal", "objective": 1.528},
   {"id": "cost-cap3", "path": "can-body.toml",
    "overrides": {"minimise": "cost", "cap": 3.0, "materials.INERTA.cost": 3100},
    "status": "optimal", "objective": 22183898.1, "tonnes": {"INERTA": 1050}},
   {"id": "dear-ubc", "path": "can-body.toml", "scenario": "cost-cap3-dear-ubc", ...},
   {"id": "textbook", "path": "blend.toml", "status": "optimal", "objective": 4.98,
    "published": true},
   {"id": "typo", "path": "invalid.toml", "status": "invalid", "problems": 10,
    "messages": ["duplicate name 'scrap'"]}]}
```

``overrides`` take the objective settings of ``with_overrides`` (``minimise``, ``cap``,
``scope``, ``confidence``, ``confidence_per``, ``margin_sd``) and any field path as
``--set`` does. ``tonnes``: expected charged tonnes of named materials (over all
products). ``published`` values come from a cited source: ``--update`` never rewrites
them. ``rtol`` overrides the relative tolerance of one run.

A run with ``correct`` is a furnace correction (``mixopt correct``) of the instance:
``{"product": "AA3104 slab", "melt_t": 80, "analysis": "sample.csv", "heat_t", "furnace_max_t",
"may_tap", "minimise", "confidence", "period"}`` (the analysis relative to the manifest);
its objective is the correction's (cost of additions and tapping, or their t CO2e) and
its ``tonnes`` the additions'.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mixopt.errors import InputError, Problem
from mixopt.io.files import read_document
from mixopt.io.variants import OBJECTIVE_FLAGS
from mixopt.model.backend import Status

MANIFEST = "expected.json"
#: The statuses a run may expect: every solve status, or "invalid" (the input is refused).
EXPECTED_STATUSES = (*(s.value for s in Status), "invalid")
Expected = Literal[EXPECTED_STATUSES]  # type: ignore[valid-type]


class Correct(BaseModel):
    """A furnace correction of a run's instance (the options of ``mixopt correct``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    product: str = Field(min_length=1)
    melt_t: float = Field(gt=0)
    analysis: str = Field(min_length=1)
    heat_t: float | None = Field(default=None, gt=0)
    furnace_max_t: float | None = Field(default=None, gt=0)
    may_tap: bool = False
    minimise: Literal["cost", "footprint"] = "cost"
    confidence: float | None = Field(default=None, ge=0.5, lt=1)
    period: str | None = None


class Run(BaseModel):
    """One expectation: an instance (with overrides or a scenario) and its outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(min_length=1)
    path: str = Field(min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict)
    scenario: str | None = None
    status: Expected
    objective: int | float | None = None  # an int stays an int when rewritten
    tonnes: dict[str, int | float] = Field(default_factory=dict)
    published: bool = False
    rtol: float | None = Field(default=None, gt=0, lt=1)
    problems: int | None = Field(default=None, ge=1)
    messages: list[str] = Field(default_factory=list)
    correct: Correct | None = None

    def objective_settings(self) -> dict[str, Any]:
        return {k: v for k, v in self.overrides.items() if k in OBJECTIVE_FLAGS}

    def field_overrides(self) -> dict[str, Any]:
        return {k: v for k, v in self.overrides.items() if k not in OBJECTIVE_FLAGS}


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    about: str = Field(default="", alias="_about")
    runs: tuple[Run, ...] = Field(min_length=1)


def manifest_path(folder: Path) -> Path:
    """The manifest of a suite: ``folder/expected.json`` (or the file itself)."""
    folder = Path(folder)
    return folder if folder.suffix.lower() == ".json" else folder / MANIFEST


def read_manifest(folder: Path) -> tuple[Path, Manifest]:
    """The manifest of ``folder`` and its path; every problem (bad JSON, unknown keys,
    missing instance files, unknown override keys, repeated ids) at once."""
    path = manifest_path(folder)
    problems: list[Problem] = []
    raw = read_document(path, json.loads, "a manifest JSON")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as err:
        for e in err.errors(include_url=False):
            loc = list(e["loc"])
            row = loc[1] + 1 if loc[:1] == ["runs"] and len(loc) > 1 and isinstance(
                loc[1], int) else None
            rid = (raw["runs"][row - 1].get("id") if row and isinstance(raw, dict)
                   and isinstance(raw.get("runs"), list)
                   and isinstance(raw["runs"][row - 1], dict) else None)
            field = ".".join(str(p) for p in loc[2:] if p not in (
                "literal['invalid']",)) or None
            problems.append(Problem(str(path), e["msg"], "runs" if row else None, row,
                                    str(rid) if rid else None, field))
        raise InputError(problems) from None
    seen: dict[str, int] = {}
    for i, run in enumerate(manifest.runs, start=1):
        where = {"table": "runs", "row": i, "row_name": run.id}
        if run.id in seen:
            problems.append(Problem(str(path), f"repeats the id of run {seen[run.id]}",
                                    field="id", **where))
        seen.setdefault(run.id, i)
        why = _not_in_suite(path.parent, run.path)
        if why:
            problems.append(Problem(str(path), f"names {run.path!r}, {why}", field="path",
                                    **where))
        if run.correct is not None:
            why = _not_in_suite(path.parent, run.correct.analysis)
            if why:
                problems.append(Problem(str(path), f"names {run.correct.analysis!r}, {why}",
                                        field="correct.analysis", **where))
        for key in run.field_overrides():
            if "." not in key:
                problems.append(Problem(str(path), f"unknown override {key!r}: use one of "
                                                   f"{sorted(OBJECTIVE_FLAGS)} or a field path "
                                                   "(as --set takes)", field="overrides",
                                        **where))
        if run.status == "invalid" and run.problems is None and not run.messages:
            problems.append(Problem(str(path), "an 'invalid' run needs 'problems' or "
                                               "'messages'", field="status", **where))
    if problems:
        raise InputError(problems)
    return path, manifest


def _not_in_suite(folder: Path, name: str) -> str | None:
    """Why a run's ``path`` cannot be read (None: it can): like the tables of ``[files]``,
    a run's instance is a regular file inside the suite's folder or below it (symbolic
    links resolved), never a file elsewhere, a FIFO or a device."""
    target = folder / name
    try:
        target.resolve().relative_to(folder.resolve())
    except ValueError:
        return (f"which is outside the suite's folder ({folder}): a run's instance must sit "
                "in it or below it")
    try:
        st = target.stat()
    except OSError:
        return f"which is not a file in {folder}"
    if not stat.S_ISREG(st.st_mode):
        return "which is not a regular file"
    return None


def manifest_json(manifest: Manifest) -> str:
    """The manifest as the file holds it (stable key order, one run per block)."""
    doc: dict[str, Any] = {}
    if manifest.about:
        doc["_about"] = manifest.about
    doc["runs"] = [run.model_dump(exclude_defaults=True) for run in manifest.runs]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
