"""The parts of ``models/formulation.md`` generated from the family registry.

``python -m mixopt.dev.docs`` rewrites the text between the ``<!-- families -->`` and
``<!-- duals -->`` markers of the document; ``tests/test_families.py`` fails when the
document and the registry disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mixopt.model.families import FAMILIES, LINKING

DOCUMENT = Path(__file__).resolve().parents[2] / "models" / "formulation.md"
MARKERS = ("families", "duals", "links")


def families_table() -> str:
    """Every family of a period: label, row, domain, fields, where it is built and
    rechecked."""
    return _table(FAMILIES)


def _table(families: tuple) -> str:
    lines = [("| label | family (row blocks) | row | for | instance fields | built by | "
              "rechecked by |"), "|---|---|---|---|---|---|---|"]
    for f in families:
        module = f.define.__module__
        blocks = ", ".join(f"`{b}`" for b in f.row_blocks)
        recheck = f"`{f.check.__module__}.{f.check.__name__}`"
        if f.implied:
            recheck += f" ({f.implied})"
        lines.append(f"| ({f.label}) {f.title} | {blocks} | {f.math} | {f.domain} | "
                     f"{f.fields} | `{module}.{f.define.__name__}` | {recheck} |")
    return "\n".join(lines)


def duals_table() -> str:
    """Every family's shadow price: its unit and how the row dual is scaled to it."""
    lines = ["| family | shadow price per | from the row dual y |", "|---|---|---|"]
    for f in (*FAMILIES, *LINKING):
        if f.dual is None:
            lines.append(f"| `{f.name}` | — | none: a MILP's rows are fixed, not priced |")
        else:
            lines.append(f"| `{f.name}` | {f.dual.per} | {f.dual.formula} |")
    return "\n".join(lines)


def links_table() -> str:
    """Every family that links periods (``families.LINKING``): the same contract."""
    return _table(LINKING)


def generated(text: str) -> str:
    """``text`` with every marked section replaced by its generated table."""
    tables = {"families": families_table(), "duals": duals_table(), "links": links_table()}
    for name in MARKERS:
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"{DOCUMENT} has no <!-- {name}:start/end --> markers")
        text = pattern.sub(lambda m, t=tables[name]: m.group(1) + t + "\n" + m.group(2), text)
    return text


def main() -> int:
    text = DOCUMENT.read_text(encoding="utf-8")
    new = generated(text)
    if new != text:
        DOCUMENT.write_text(new, encoding="utf-8")
        print(f"updated {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
