"""What serving accepts: a SIGHUP reload (``reload_generated``) never serves a revision that
does not load or a spec that does not compile; the diagnostics show on ``GET /specs/{name}``.
(``serve --watch`` under load: ``tests/runtime/test_hot_reload.py``.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from labels_support import compile_tiny, running

from specwright.runtime.config import Settings
from specwright.runtime.http.app import create_app
from specwright.runtime.http.state import get_state
from specwright.runtime.http.watch import reload_generated


async def test_sighup_reload_keeps_serving_what_loads(tmp_path: Path, settings: Settings) -> None:
    root = tmp_path / "p"
    compile_tiny(root, "first", settings)
    compile_tiny(root, "second", settings)
    app = create_app(settings, root)
    async with running(app) as c:
        spec_dir = root / "generated" / "tiny"
        shutil.copytree(spec_dir / "r2", spec_dir / "r3")
        manifest = (spec_dir / "r3" / "manifest.json").read_text()
        (spec_dir / "r3" / "manifest.json").write_text(manifest.replace('"revision": 2',
                                                                        '"revision": 3'))
        (spec_dir / "r3" / "models.py").write_text("this is not python\n")
        (root / "specs" / "tiny.md").write_text("---\nname: tiny\n---\n# Tiny\n")  # no sections
        catalog = await reload_generated(app, get_state(app))
        assert any("r3" in e and "models.py" in e for e in catalog.load_errors)
        r = await c.post("/specs/tiny/v1", json={"n": 1})
        assert r.status_code == 200 and r.headers["X-Specwright-Revision"] == "2"
        detail = (await c.get("/specs/tiny")).json()
        assert detail["latest_revision"] == 2 and detail["compiles"] is False
        assert detail["diagnostics"] and detail["diagnostics"][0]["file"] == "specs/tiny.md"
        # a label cannot be moved to the revision that does not load
        r = await c.post("/specs/tiny/labels/production", json={"revision": 3})
        assert r.status_code == 422 and "does not load" in r.json()["message"]
        labels = (await c.get("/specs/tiny/labels")).json()["labels"]
        assert labels == [{"label": "production", "revision": None, "serving": 2, "major": 1}]
