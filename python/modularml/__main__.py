"""``python -m modularml``: the ``modularml`` command (see `modularml.cli`)."""

from modularml.cli import main

raise SystemExit(main())
