"""``python -m specwright.runtime.fakeserver``: see ``specwright.runtime.fakeserver.runner``."""

from specwright.runtime.fakeserver.runner import main

raise SystemExit(main())
