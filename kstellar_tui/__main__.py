from kstellar_tui.cli import main

raise SystemExit(main())
