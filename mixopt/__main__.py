"""The ``mixopt`` command and ``python -m mixopt``: SIGINT and SIGTERM are handled from
here on (``mixopt.signals.Run``), before the command line is even imported."""

from mixopt.signals import Run


def run() -> None:
    Run.install()
    from mixopt.cli import main

    main(prog_name="mixopt")


if __name__ == "__main__":
    run()
