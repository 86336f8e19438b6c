"""The ``genesys-compliance`` command group; each subcommand lives in its own module."""

from __future__ import annotations

import click

__all__ = ["main"]


@click.group()
@click.version_option(package_name="genesys-compliance")
def main() -> None:
    """Check Genesys Cloud configuration kept as code."""
