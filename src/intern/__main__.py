"""``python -m intern``: the command line (see ``python -m intern --help``)."""

from intern._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
