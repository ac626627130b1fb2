"""``python -m cello``: the ``cello`` command (see ``cello.cli``)."""

from .cli import main

main()
