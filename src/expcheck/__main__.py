from expcheck.cli import main

raise SystemExit(main())
