"""``bench/prompt_tokens.py`` runs and measures what its table says: prompt tokens on both
tokenizers, a static prefix that is a share of them, and an answer cache that calls the model
once per distinct input of a batch (escalated runs excepted)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_prompt_tokens_bench_measures_every_model_backed_spec(tmp_path: Path) -> None:
    for module, extra in (("llama_cpp", "realmodel"), ("tiktoken", "test")):
        if importlib.util.find_spec(module) is None:  # found without importing it here
            pytest.skip(f"the {extra} extra is not installed")
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "prompt_tokens.py"), "--copies", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    specs = json.loads(out.read_text())["specs"]
    assert len(specs) >= 4 and "product-moderation" in specs
    for name, row in specs.items():
        for side in ("local", "openai"):
            assert row[f"{side}_prompt_tokens"] > 300, name
            assert 0.5 < row[f"{side}_static_share"] < 1.0, name
        cache = row["answer_cache"]
        if name == "product-moderation":
            assert cache is None  # sensitive fields: never cached
            continue
        assert cache["decisions"] == 2 * row["examples"]
        assert cache["model_calls"] + cache["hits"] == cache["decisions"]
        assert cache["hits"] >= 1 and cache["tokens_saved"] > 0
    assert "| spec " in proc.stdout and "tokens saved" in proc.stdout
