"""``python -m mixopt``: the same command line as ``mixopt``."""

from mixopt.cli import main

main(prog_name="mixopt")
