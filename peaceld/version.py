"""The version of peaceld, in a base module so that any layer may name it (``peaceld`` and
the CLI re-export it; the drafter writes it into every draft mark)."""

__version__ = "0.1.0"
