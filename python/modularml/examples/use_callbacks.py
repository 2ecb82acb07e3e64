"""The "Use Callbacks" how-to as a script (filled in when the front end lands)."""

from __future__ import annotations

import modularml


def main() -> None:
    print(f"modularml {modularml.__version__}: the use_callbacks example needs the training front end.")


if __name__ == "__main__":
    main()
