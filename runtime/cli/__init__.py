"""The ``specwright`` command line. One module per command group; registered here."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="specwright")
def main() -> None:
    """Specwright: plain-English decision specs served as typed, versioned APIs."""


def _register() -> None:
    # Imported here so `specwright --help` stays fast and each group owns its module.
    from runtime.cli import compile_cmd

    for command in compile_cmd.COMMANDS:
        main.add_command(command)
    from runtime.cli import logs_cmd

    for command in logs_cmd.COMMANDS:
        main.add_command(command)
    from runtime.cli import serve_cmd

    for command in serve_cmd.COMMANDS:
        main.add_command(command)
    from runtime.cli import test_cmd

    for command in test_cmd.COMMANDS:
        main.add_command(command)
    from runtime.cli import author_cmd

    for command in author_cmd.COMMANDS:
        main.add_command(command)


_register()
