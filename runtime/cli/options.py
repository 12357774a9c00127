"""What every command shares: the ``--project`` option and reading the project's settings."""

from __future__ import annotations

from pathlib import Path

import click

from specwright.compiler.errors import SpecwrightError
from specwright.runtime.config import Settings, load_settings

project_option = click.option(
    "--project",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project directory (holds specs/, generated/ and specwright.toml).",
)


def project_settings(project: Path) -> Settings:
    """The project's settings; a missing directory or a bad configuration is one clear line."""
    if not project.is_dir():
        raise click.UsageError(f"project directory {project} does not exist")
    try:
        return load_settings(project)
    except SpecwrightError as exc:
        raise click.ClickException(str(exc)) from None
