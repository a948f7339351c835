"""Where the embedded store lives and which engines to use.

Resolution order for each setting: explicit argument, environment variable, the ``mlws.json``
file in ``MLWS_HOME``, then the embedded default.

- ``MLWS_HOME``: default ``<jupyter data dir>/mlws``.
- ``MLWS_DATABASE_URL`` / ``database_url``: default ``sqlite:///<MLWS_HOME>/mlws.db``.
- ``MLWS_STORAGE_URL`` / ``storage_url``: root under which each new workspace gets a folder;
  default ``<MLWS_HOME>/workspaces``. Any fsspec URL (``s3://bucket/prefix``, ``memory://x``).
- ``MLWS_TRACKING_URI`` / ``tracking_uri``: when set, the SDK talks to a jupyter_mlws server
  there instead of opening the database itself (``MLWS_TOKEN`` / ``token`` authenticates).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import UserErrorException

SETTINGS_FILE = "mlws.json"


def mlws_home() -> Path:
    home = os.environ.get("MLWS_HOME")
    if home:
        return Path(home).expanduser()
    from jupyter_core.paths import jupyter_data_dir  # on use: jupyter_core paths

    return Path(jupyter_data_dir()) / "mlws"


def _file_settings(home: Path) -> dict:
    path = home / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserErrorException(f"Cannot read jupyter_mlws settings {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UserErrorException(f"jupyter_mlws settings {path} must hold a JSON object")
    return data


@dataclass(frozen=True)
class StoreSettings:
    home: Path
    database_url: str
    storage_root: str
    tracking_uri: str | None = None
    token: str | None = None

    @classmethod
    def resolve(cls, database_url: str | None = None, storage_root: str | None = None,
                tracking_uri: str | None = None, token: str | None = None) -> StoreSettings:
        home = mlws_home()
        file = _file_settings(home)
        db = (database_url or os.environ.get("MLWS_DATABASE_URL") or file.get("database_url")
              or f"sqlite:///{home / 'mlws.db'}")
        root = (storage_root or os.environ.get("MLWS_STORAGE_URL") or file.get("storage_url")
                or str(home / "workspaces"))
        uri = tracking_uri or os.environ.get("MLWS_TRACKING_URI") or file.get("tracking_uri")
        tok = token or os.environ.get("MLWS_TOKEN") or file.get("token")
        return cls(home=home, database_url=db, storage_root=root, tracking_uri=uri or None,
                   token=tok or None)
