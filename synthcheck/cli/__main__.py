from synthcheck.cli.main import main

raise SystemExit(main())
