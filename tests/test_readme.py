"""The README's examples run as written: its Python sessions are doctests (the paths in
them, relative to the project's root, are read from there); its TOML examples are read
and solved (a complete instance as it is, a fragment added to the instance above it, a
fragment marked ``# from FILE`` checked against that shipped file); its command outputs
and the figures it quotes are what the commands give."""

from __future__ import annotations

import doctest
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.cli import main
from mixopt.io.variants import variant
from tests.conftest import ROOT

TEXT = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readmes_python_examples_run_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)
    sessions = [b for b in blocks if b.lstrip().startswith(">>>")]
    assert sessions, "the README has no Python session to run"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE)
    for k, block in enumerate(sessions):
        block = block.replace('"instances/', f'"{ROOT}/instances/')
        runner.run(parser.get_doctest(block, {}, f"README block {k}", "README.md", 0))
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} README example(s) failed (see above)"


def _merge(base: Any, part: Any) -> Any:
    """``part`` added to ``base``: tables merged key by key, arrays of tables entry by
    entry (a fragment's first [[products]] adds to the instance's first product)."""
    if isinstance(base, dict) and isinstance(part, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in part.items()}}
    if isinstance(base, list) and isinstance(part, list) and all(
            isinstance(x, dict) for x in (*base, *part)):
        return [_merge(b, p) for b, p in zip(base, part, strict=False)] + base[len(part):]
    return part


def _agrees(part: Any, shipped: Any, where: str) -> None:
    """Every value of the fragment is the shipped file's (arrays of tables by name)."""
    if isinstance(part, dict):
        assert isinstance(shipped, dict), where
        for k, v in part.items():
            assert k in shipped, f"{where}.{k} is not in the shipped file"
            _agrees(v, shipped[k], f"{where}.{k}")
    elif isinstance(part, list) and part and isinstance(part[0], dict):
        by_name = {x.get("name"): x for x in shipped}
        for x in part:
            assert x.get("name") in by_name, f"{where}: no entry {x.get('name')!r}"
            _agrees(x, by_name[x["name"]], f"{where}.{x['name']}")
    else:
        assert part == shipped, f"{where}: README {part!r}, shipped {shipped!r}"


def test_the_readmes_toml_examples_run_as_written(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", TEXT, re.DOTALL)
    assert len(blocks) >= 4
    base: dict[str, Any] | None = None
    for k, block in enumerate(blocks):
        doc = tomllib.loads(block)
        origin = re.match(r"# from (\S+)", block)
        path = tmp_path / f"example{k}.toml"
        if origin:
            shipped = ROOT / origin.group(1)
            _agrees(doc, tomllib.loads(shipped.read_text(encoding="utf-8")), origin.group(1))
            assert solve(read(shipped)).status == "optimal"
            continue
        if "name" in doc:
            base = doc
            path.write_text(block, encoding="utf-8")
        else:
            assert base is not None, f"TOML block {k} is a fragment of no instance"
            path.write_text(tomli_w.dumps(_merge(base, doc)), encoding="utf-8")
        r = solve(read(path))
        assert r.status == "optimal", f"TOML block {k}: {r.status}"
        if k == 0:  # the figures the README quotes for its instance
            assert r.objective_value == pytest.approx(2.86967, abs=5e-6)
            mix = dict(zip(r.mix.material, r.mix.charged_t, strict=True))
            assert mix["UBC bales"] == pytest.approx(7000, abs=1e-6)
            assert mix["Hydro P1020"] == pytest.approx(3807, abs=0.5)
            assert mix["Mn master alloy (AlMn75)"] == pytest.approx(33.4, abs=0.05)


def test_the_readmes_command_output_is_what_the_command_prints() -> None:
    block = re.search(r"```\n\$ (mixopt diagnose [^\n]+)\n(.*?)```", TEXT, re.DOTALL)
    assert block, "the README shows no diagnose session"
    args = block.group(1).split()[1:]
    r = CliRunner().invoke(main, [a if not a.startswith("instances/") else str(ROOT / a)
                                  for a in args])
    assert r.stdout.replace(str(ROOT) + "/", "") == block.group(2)


def test_the_readmes_bad_input_example_is_what_validate_says() -> None:
    lines = re.search(r"    mixopt: 10 problems in the input:\n(.*?)\n      \.\.\.", TEXT,
                      re.DOTALL).group(1).splitlines()
    r = CliRunner().invoke(main, ["validate", str(ROOT / "instances" / "invalid.toml")])
    said = r.stderr.replace(str(ROOT) + "/", "")
    assert "mixopt: 10 problems in the input:" in said
    for line in lines:
        shown = line.strip()
        assert shown.removesuffix("...") in said, shown


@pytest.mark.parametrize(("scenario", "flags", "quoted", "half_unit"), [
    (None, {}, 1.528, 5e-4),  # "1.528 t CO2e/t of slab"
    (None, {"minimise": "cost", "cap": 3.0}, 22.18e6, 5e3),  # "22.18 M USD"
    (None, {"minimise": "cost"}, 21.84e6, 5e3),  # "against 21.84 M USD without a cap"
    ("least-cost-allow", {}, 21882270, 0.5),  # "costs 21,882,270 USD"
])
def test_the_figures_the_readme_quotes_for_the_shipped_month(scenario, flags, quoted,
                                                            half_unit) -> None:
    r = solve(variant(read(ROOT / "instances" / "can-body.toml"), scenario, **flags))
    assert abs(r.objective_value - quoted) <= half_unit
