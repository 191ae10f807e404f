"""``python -m expcheck``: the console script (the package's ``__init__`` has already taken the working
directory off the import path, so a submission's modules cannot shadow the standard library)."""

from expcheck.cli import main

raise SystemExit(main())
