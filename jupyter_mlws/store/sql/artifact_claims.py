"""Claims on artifact names while their content is written, and what a dead writer left.

An upload first claims the name in one transaction -- a new name gets a row of size -1, an
overwrite marks the existing row -- recording the writing process (``current_owner()``) and
the storage name it will write to (``pending``). Only then is anything written, and only to
that name: a failed write removes its own part and its claim, never what was there before. It
ends with one transaction recording size, hash and where the content is, clearing the claim.

How new content replaces old:
- Local disks: the part is written as ``objects/<run>/<id>`` and renamed onto the artifact's
  own name (atomic: a reader sees the old file or the new one, whole). The part is created
  before the claim, so once claimed "the part is gone" means "it was renamed": a dead writer's
  claim is settled by adopting the (complete) renamed file, otherwise by removing the part.
- Object stores (S3, GCS, memory): a rename is a copy, so a new artifact is written straight
  to its own key (an object becomes visible only when its upload completes, and nothing reads
  the name before the row is finished), and an overwrite writes a new key under ``objects/``,
  then switches the row to it in one transaction and deletes the old object. This is safe
  because every read goes through the row: before the switch it names the old object, which
  is complete, after it the new one, also complete; a reader that read the row just before
  the switch and finds its object deleted reads the row again (``open_artifact``).

A claim whose owner is alive conflicts; so does one from another host, whose liveness cannot be
told from here. One whose owner is dead is reclaimed by the next upload, listing, read or log
append that meets it. Rows of size -1 without an owner come from versions that recorded no
owner and are treated as dead.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import ConflictError, NotFoundError
from ..files import WorkspaceFiles
from ..liveness import current_owner, is_owner_alive
from . import schema as t
from .common import SqlBase, now

# The size of a row claimed by a new upload still being written: it holds the name (and its
# folder shape) but is no artifact yet, so listings and reads skip it.
PENDING_SIZE = -1
_ATTEMPTS = 4
_TEXT_SUFFIXES = (".log", ".txt", ".out", ".err")
_ROW = (t.artifact.c.path, t.artifact.c.size, t.artifact.c.owner, t.artifact.c.pending,
        t.artifact.c.stored_name, t.artifact.c.sha256, t.artifact.c.appended,
        t.artifact.c.content_type, t.artifact.c.created_time, t.artifact.c.run_id)


def content_type_of(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0]
    if guessed:
        return guessed
    return "text/plain" if path.endswith(_TEXT_SUFFIXES) else "application/octet-stream"


@dataclass(frozen=True)
class Claim:
    run_id: str
    path: str
    owner: str
    part: str  # the storage name being written
    new: bool  # a new artifact (row of size -1) rather than an overwrite


@dataclass(frozen=True)
class _Held:
    """A row in the way that another write has claimed."""
    path: str
    owner: str | None


def is_claimed(row: Any) -> bool:
    return row.owner is not None or row.size == PENDING_SIZE


def owner_is_dead(owner: str | None, known: dict[str, bool] | None = None) -> bool:
    if owner is None:
        return True
    if known is not None and owner in known:
        return known[owner]
    dead = is_owner_alive(owner) is False
    if known is not None:
        known[owner] = dead
    return dead


def under(column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, compared exactly (SQLite's LIKE ignores case)."""
    return sa.func.substr(column, 1, len(prefix)) == prefix


def being_written(run_id: str, path: str, owner: str | None) -> ConflictError:
    return ConflictError(f"Artifact {path!r} of run {run_id} is being written by another "
                         f"process ({owner}); try again once that write has ended")


def shape_conflict(run_id: str, path: str, ancestor: Any, inside: Any) -> ConflictError | None:
    """The error when ``path`` would be a file where a folder is, or under a file."""
    if inside is not None:
        return ConflictError(f"Cannot write artifact {path!r} of run {run_id}: it is a folder "
                             f"(it holds {inside.path!r}); choose another name")
    if ancestor is not None:
        return ConflictError(f"Cannot write artifact {path!r} of run {run_id}: "
                             f"{ancestor.path!r} is a file, not a folder")
    return None


class ArtifactClaimMixin(SqlBase):
    # ---- rows
    def artifact_row(self, conn: Connection, run_id: str, path: str) -> Any:
        a = t.artifact.c
        return conn.execute(sa.select(*_ROW).where(a.run_id == run_id, a.path == path)).first()

    def rows_in_the_way(self, conn: Connection, run_id: str, path: str) -> tuple[Any, Any, Any]:
        """(the row of ``path``, else: a file above it, a file inside it)."""
        exact = self.artifact_row(conn, run_id, path)
        if exact is not None:
            return exact, None, None  # a name already held cannot be a folder or under a file
        a = t.artifact.c
        parts = path.split("/")
        ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
        ancestor = None
        if ancestors:
            ancestor = conn.execute(sa.select(*_ROW).where(
                a.run_id == run_id, a.path.in_(ancestors)).limit(1)).first()
        inside = conn.execute(sa.select(*_ROW).where(
            a.run_id == run_id, under(a.path, path + "/")).limit(1)).first()
        return None, ancestor, inside

    # ---- claiming
    def _try_claim(self, conn: Connection, run_id: str, path: str, overwrite: bool,
                   owner: str, new_part: str, overwrite_part: str) -> Claim | _Held:
        # Claims of one run queue on its row (PostgreSQL; SQLite's BEGIN IMMEDIATE already
        # serializes writers). NO KEY UPDATE leaves inserts that reference the run unblocked.
        if conn.execute(sa.select(t.run.c.id).where(t.run.c.id == run_id)
                        .with_for_update(key_share=True)).first() is None:
            raise NotFoundError(f"Run {run_id} not found")
        rows = self.rows_in_the_way(conn, run_id, path)
        held = next((r for r in rows if r is not None and is_claimed(r)), None)
        if held is not None:
            return _Held(held.path, held.owner)
        exact, ancestor, inside = rows
        error = shape_conflict(run_id, path, ancestor, inside)
        if error is not None:
            raise error
        a = t.artifact.c
        if exact is not None:
            if not overwrite:
                raise ConflictError(f"Artifact {path!r} already exists in run {run_id}")
            conn.execute(t.artifact.update().where(a.run_id == run_id, a.path == path)
                         .values(owner=owner, pending=overwrite_part))
            return Claim(run_id, path, owner, overwrite_part, new=False)
        conn.execute(t.artifact.insert().values(
            run_id=run_id, path=path, size=PENDING_SIZE, content_type=content_type_of(path),
            created_time=now(), appended=False, owner=owner, pending=new_part))
        return Claim(run_id, path, owner, new_part, new=True)

    def claim_artifact(self, files: WorkspaceFiles, run_id: str, path: str,
                       overwrite: bool) -> Claim:
        owner = current_owner()
        for _ in range(_ATTEMPTS):
            part = files.new_object_name(run_id)
            if files.is_local:
                files.create_empty(part)  # before the claim: see the module docstring
            new_part = part if files.is_local else files.artifact_name(run_id, path)
            try:
                got = self.db.write(lambda c, p=part, n=new_part: self._try_claim(
                    c, run_id, path, overwrite, owner, n, p))
            except BaseException:
                if files.is_local:
                    files.remove_file(part)
                raise
            if isinstance(got, Claim):
                return got
            if files.is_local:
                files.remove_file(part)
            if not owner_is_dead(got.owner):
                raise being_written(run_id, got.path, got.owner)
            self.reclaim(files, run_id, got.path, got.owner)
        raise ConflictError(f"Artifact {path!r} of run {run_id} is claimed by other writers "
                            "again and again; try again later")

    def finish_claim(self, files: WorkspaceFiles, claim: Claim, size: int,
                     sha256: str | None) -> None:
        """Record the written content and end the claim; drop what it replaced."""
        a = t.artifact.c
        # An overwrite on an object store keeps its content where it was written.
        stored = None if claim.new or files.is_local else claim.part

        def finish(conn: Connection) -> str | None:
            row = conn.execute(sa.select(a.stored_name).where(
                a.run_id == claim.run_id, a.path == claim.path, a.owner == claim.owner,
                a.pending == claim.part)).first()
            if row is None:
                raise ConflictError(
                    f"The write of artifact {claim.path!r} of run {claim.run_id} lost its "
                    "claim before it ended; upload it again")
            conn.execute(t.artifact.update().where(
                a.run_id == claim.run_id, a.path == claim.path).values(
                size=size, sha256=sha256, appended=False, owner=None, pending=None,
                stored_name=stored))
            return row.stored_name

        previous = self.db.write(finish)
        replaced = previous
        if not claim.new and not files.is_local and previous is None:
            replaced = files.artifact_name(claim.run_id, claim.path)
        if replaced is not None and replaced != stored:
            files.remove_file(replaced)

    def release_claim(self, files: WorkspaceFiles, claim: Claim) -> None:
        """Undo the claim of a write that failed: its part and its claim go, nothing else."""
        a = t.artifact.c
        mine = (a.run_id == claim.run_id, a.path == claim.path, a.owner == claim.owner,
                a.pending == claim.part)
        own_name = claim.part == files.artifact_name(claim.run_id, claim.path)
        if own_name:
            files.remove_file(claim.part)  # first: once the row is gone the name is free
        if claim.new:
            self.db.write(lambda c: c.execute(t.artifact.delete().where(*mine)))
        else:
            self.db.write(lambda c: c.execute(
                t.artifact.update().where(*mine).values(owner=None, pending=None)))
        if not own_name:
            files.remove_file(claim.part)

    # ---- what dead writers left
    def dead_claims(self, rows: Any) -> list[tuple[str, str | None]]:
        known: dict[str, bool] = {}
        return [(r.path, r.owner) for r in rows
                if is_claimed(r) and owner_is_dead(r.owner, known)]

    def reclaim(self, files: WorkspaceFiles, run_id: str, path: str,
                owner: str | None) -> None:
        """Settle the claim ``owner`` holds on ``path`` if that process is dead."""
        row = self.db.read(lambda c: self.artifact_row(c, run_id, path))
        if row is None or row.owner != owner or not is_claimed(row):
            return  # settled meanwhile
        if not owner_is_dead(owner):
            return
        a = t.artifact.c
        held = (a.run_id == run_id, a.path == path,
                a.owner.is_(None) if owner is None else a.owner == owner)
        own = files.artifact_name(run_id, path)
        part = row.pending or own  # older versions wrote in place
        renamed = files.is_local and part != own and not files.has(part)
        if row.size == PENDING_SIZE:
            # A new artifact never finished: remove what it wrote (its own name only if it
            # wrote there), then the row, which until then keeps others off the name.
            if part == own or renamed:
                files.remove_file(own)
            if part != own:
                files.remove_file(part)
            self.db.write(lambda c: c.execute(t.artifact.delete().where(
                *held, a.size == PENDING_SIZE)))
            return
        if renamed:
            # The rename onto the artifact happened (it follows a complete write): the new
            # content is there, whole; only its record was not written.
            try:
                actual = files.size(files.full(own))
            except FileNotFoundError:
                actual = None
            values: dict[str, Any] = {"owner": None, "pending": None}
            if actual is not None:
                values.update(size=actual, sha256=None, appended=False)
            self.db.write(lambda c: c.execute(t.artifact.update().where(*held).values(**values)))
            return
        self.db.write(lambda c: c.execute(
            t.artifact.update().where(*held).values(owner=None, pending=None)))
        if part != own:
            files.remove_file(part)


__all__ = ["PENDING_SIZE", "ArtifactClaimMixin", "Claim", "being_written", "content_type_of",
           "is_claimed", "owner_is_dead", "shape_conflict", "under"]
