"""CLI commands for ontology (being written)."""

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the peaceld group."""
