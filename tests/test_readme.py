"""The README's examples run as written: its Python sessions are doctests (the paths in
them, relative to the project's root, are read from there)."""

from __future__ import annotations

import doctest
import re

from tests.conftest import ROOT


def test_the_readmes_python_examples_run_as_written() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    sessions = [b for b in blocks if b.lstrip().startswith(">>>")]
    assert sessions, "the README has no Python session to run"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE)
    for k, block in enumerate(sessions):
        block = block.replace('"instances/', f'"{ROOT}/instances/')
        runner.run(parser.get_doctest(block, {}, f"README block {k}", "README.md", 0))
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} README example(s) failed (see above)"
