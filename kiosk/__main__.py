"""`python -m kiosk …`: the same as `madoguchi kiosk …`, for kiosk PCs."""

from kiosk.cli import main

raise SystemExit(main())
