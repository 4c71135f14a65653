"""``python -m peaceld.cli`` is the ``peaceld`` command."""

from peaceld.cli import main

main()
