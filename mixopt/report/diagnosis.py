"""A diagnosis (``mixopt.analysis.diagnose``) for people and for programs: why a plan has
no solution, the ways out (each with the ``--set`` that makes it), and the limits that
fight."""

from __future__ import annotations

from typing import Any

from mixopt.analysis.diagnose import Diagnosis
from mixopt.model.families import Relaxation


def to_json_dict(diag: Diagnosis) -> dict[str, Any]:
    return {
        "instance": diag.plan.name, "status": str(diag.status),
        "checks": list(diag.checks),
        "options": [{"title": o.title, "verified": str(o.verified),
                     "overrides": o.overrides,
                     "relaxations": [{"family": r.family, "side": r.side, "where": r.where,
                                      "path": r.path, "value": r.value, "message": r.message}
                                     for r in o.relaxations]} for o in diag.options],
        "conflict": list(diag.conflict), "notes": list(diag.notes),
    }


def render(diag: Diagnosis) -> str:
    lines = [f"{diag.plan.name}: {diag.status}"]
    lines += [f"  note: {n}" for n in diag.notes]
    if diag.checks:
        lines.append("checks:")
        lines += [f"  - {c}" for c in diag.checks]
    for k, o in enumerate(diag.options):
        lines.append(f"{'a way out' if k == 0 else 'or'} ({o.title}; with these changes the "
                     f"instance is {o.verified}):")
        lines += [f"  - {r.message}   [{set_flag(r)}]" for r in o.relaxations]
    if diag.conflict:
        lines.append("these limits fight each other (irreducible conflict from HiGHS):")
        lines += [f"  - {c}" for c in diag.conflict]
    return "\n".join(lines) + "\n"


def set_flag(r: Relaxation) -> str:
    """The command-line change that applies a relaxation."""
    return f'--set "{r.path}={_toml(r.value)}"'


def _toml(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(f"{x:g}" for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)
