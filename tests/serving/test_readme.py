"""The README's "Models and deployment" example runs as pasted (in a fresh interpreter with
the test's MLWS_HOME), and leaves no process behind."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def section_code(title: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_models_and_deployment_example_runs(work_dir: Path) -> None:
    blocks = section_code("Models and deployment")
    assert blocks, "the section has a Python example"
    for code in blocks:
        result = subprocess.run([sys.executable, "-c", code], cwd=work_dir,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "[3.0, 5.0, 7.0]" in result.stdout
        assert "['register', 'alias']" in result.stdout
