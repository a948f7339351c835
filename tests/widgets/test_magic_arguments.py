"""How %mlws reads its arguments: as a shell would, comments after ``#`` ignored (the README's
magics block carries inline comments), quotes and ``#`` inside words kept."""

from __future__ import annotations

import pytest

from jupyter_mlws.core import Experiment, Workspace
from jupyter_mlws.magics import MlwsMagics, split_arguments


@pytest.mark.parametrize(("line", "words"), [
    ("workspace            # current workspace (`%mlws workspace NAME --create` makes one)",
     ["workspace"]),
    ("experiment my-exp    # select the experiment", ["experiment", "my-exp"]),
    ("# only a comment", []),
    ("run --tag color=#fff --tag issue=#12", ["run", "--tag", "color=#fff", "--tag",
                                              "issue=#12"]),
    ('run --name "try # 2" # the name keeps its hash', ["run", "--name", "try # 2"]),
    ("run --name 'it''s' #c", ["run", "--name", "its"]),
    (r"run --name a\ #b", ["run", "--name", "a #b"]),
    (r'run --name "say \"hi\" # not a comment"', ["run", "--name",
                                                  'say "hi" # not a comment']),
    ("show abc#def", ["show", "abc#def"]),
])
def test_split_arguments_ignores_shell_comments_only(line, words):
    assert split_arguments(line) == words


def test_magics_with_inline_comments_work_as_typed(experiment, capsys):
    magics = MlwsMagics(None)
    magics.mlws("workspace widgetws   # the workspace of the tests")
    assert "Workspace 'widgetws'" in capsys.readouterr().out
    magics.mlws("experiment commented   # select it")
    assert "Experiment 'commented' in workspace 'widgetws'" in capsys.readouterr().out
    frame = magics.mlws("runs   # DataFrame of recent runs")
    assert len(frame) == 0
    magics.mlws("run --name tagged --tag color=#fff   # a comment", "x = 1\n")
    (run,) = Experiment(Workspace.get("widgetws"), "commented").get_runs()
    assert run.display_name == "tagged" and run.get_tags() == {"color": "#fff"}
    magics.mlws("help   # what exists")
    assert "%mlws workspace" in capsys.readouterr().out
