"""``python -m intern``: the command line (see ``python -m intern --help``)."""

import sys

import intern
from intern._cli import main
from intern._env import PURE_PYTHON, pure_python_chosen

if __name__ == "__main__":
    if intern.implementation == "python" and not pure_python_chosen():
        # In place of the warning of import intern, which -m would show as from
        # <frozen runpy>, the importer (see intern/__init__.py).
        print(
            "intern: using the pure-Python implementation (the C accelerator is not built);"
            f" set {PURE_PYTHON}=1 to choose it and silence this line",
            file=sys.stderr,
        )
    raise SystemExit(main())
