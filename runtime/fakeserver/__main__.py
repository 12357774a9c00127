"""``python -m runtime.fakeserver``: see ``runtime.fakeserver.runner``."""

from runtime.fakeserver.runner import main

raise SystemExit(main())
