"""``python -m peaceld`` is the ``peaceld`` command."""

from peaceld.cli import main

main()
