from lambdas.ingestion.cli import main

raise SystemExit(main())
