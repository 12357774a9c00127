"""The ``specwright`` command line. One module per command group, loaded when first used."""

from __future__ import annotations

from importlib import import_module

import click

# command name -> module under specwright.runtime.cli that defines it (as an attribute of COMMANDS)
_COMMANDS: dict[str, str] = {
    "compile": "compile_cmd",
    "diff": "compile_cmd",
    "draft": "author_cmd",
    "history": "labels_cmd",
    "impact": "impact_cmd",
    "infer": "author_cmd",
    "keys": "serve_cmd",
    "logs": "logs_cmd",
    "promote": "labels_cmd",
    "rollback": "labels_cmd",
    "reviews": "reviews_cmd",
    "run": "run_cmd",
    "serve": "serve_cmd",
    "stats": "reviews_cmd",
    "suggest-tests": "author_cmd",
    "test": "test_cmd",
}


class _LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or ``--help`` lists it), so
    ``specwright compile --check`` does not load the HTTP server, the SDKs or pytest."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = import_module(f"specwright.runtime.cli.{module_name}")
        for command in module.COMMANDS:
            if command.name == cmd_name:
                return command
        raise LookupError(f"specwright.runtime.cli.{module_name} does not define the command {cmd_name!r}")


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="specwright")
def main() -> None:
    """Specwright: plain-English decision specs served as typed, versioned APIs."""
