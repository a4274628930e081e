"""Stored files that follow their transaction (SPEC L3, L4): a file saved inside a transaction
that rolls back, or a block that fails, must not stay behind without its row.

Django has ``transaction.on_commit`` but no "on rollback": wrap the *outermost* atomic block of
the work in ``files_removed_on_failure()`` and declare each file as it is saved::

    with files_removed_on_failure(), transaction.atomic():
        save_file(inbound.raw, "message.eml", raw)  # saved and declared
        ...  # anything raising here rolls the rows back and removes the file

If the block raises (after the transaction has rolled back), every declared file is removed and
the exception goes on; if it completes, the files stay with their committed rows.

Files go through Django's storage API only (``FieldFile.save/open``, ``storage.delete``), never
a local path: with ``CSM_STORAGE=s3`` they live in an object store shared by every web node and
worker (docs/deployment.md).
"""

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

_saved: ContextVar[list[tuple[Storage, str]] | None] = ContextVar(
    "files_saved_in_block", default=None
)


@contextlib.contextmanager
def files_removed_on_failure() -> Iterator[None]:
    saved: list[tuple[Storage, str]] = []
    token = _saved.set(saved)
    try:
        yield
    except BaseException:
        for storage, name in saved:
            try:
                storage.delete(name)
            except Exception:  # an object store raises its own errors, not OSError
                # The block's own error goes on; the leftover is a random name no row points at.
                logger.exception("could not remove %s after a failed transaction", name)
        raise
    finally:
        _saved.reset(token)


def delete_file_on_rollback(fieldfile: FieldFile) -> None:
    """Remove this just-saved file if the enclosing ``files_removed_on_failure()`` block
    fails. Outside such a block it is a programming error (the file could be orphaned)."""
    saved = _saved.get()
    if saved is None:
        raise RuntimeError("delete_file_on_rollback() outside files_removed_on_failure()")
    if fieldfile.name:
        saved.append((fieldfile.storage, fieldfile.name))


def save_file(fieldfile: FieldFile, name: str, content: bytes) -> None:
    """Write ``content`` to ``fieldfile`` (its row is saved by the caller) and declare it, so a
    failing ``files_removed_on_failure()`` block removes it."""
    fieldfile.save(name, ContentFile(content), save=False)
    delete_file_on_rollback(fieldfile)
