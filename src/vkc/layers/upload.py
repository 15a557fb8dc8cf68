"""A layer sent over HTTP (the upload API, the portal's form): saved with size limits, then imported as ``vkc import layer`` imports a file.

The file is written to a private temporary folder under the name its sender
gave (reduced to safe characters: the name decides the format, and is kept in
the collection's metadata and the audit trail), never more than
``VKC_MAX_UPLOAD_MB`` (default 256); a zipped Shapefile may expand to at most
``VKC_MAX_UNZIPPED_MB`` (default 2048: a zip bomb is refused before GDAL opens it). The
import is the library's, in one transaction: a refused file leaves the store
as it was, and the same file sent twice replaces rather than duplicates.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from vkc import config
from vkc.errors import FormatError, InputError, PayloadTooLarge, VKCError
from vkc.layers.importer import FORMATS, ImportOptions, ImportReport, detect_format, import_layer
from vkc.permissions import Grant, features
from vkc.store import Store
from vkc.store.model import check_collection_name

__all__ = ["FORMATS", "import_upload", "max_upload_bytes", "options_from_form", "safe_file_name"]
UPLOAD_ENV, UNZIPPED_ENV = "VKC_MAX_UPLOAD_MB", "VKC_MAX_UNZIPPED_MB"


def max_upload_bytes() -> int:
    """The largest file an upload may send."""
    return config.megabytes(UPLOAD_ENV, 256)


def max_unzipped_bytes() -> int:
    """What the members of an uploaded zip may add up to, unpacked."""
    return config.megabytes(UNZIPPED_ENV, 2048)


_CHUNK = 2**20
_UNSAFE = re.compile(r"[^\w.-]+")


def safe_file_name(name: str) -> str:
    """The last part of ``name`` with only letters, digits, ``.``, ``-`` and ``_`` (``_`` for the rest); never empty or hidden."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._") or "upload"
    return base[-200:]


def import_upload(
    store: Store, collection: str, file_name: str, stream: BinaryIO, options: ImportOptions | None = None, *, grant: Grant
) -> ImportReport:
    """Save ``stream`` (the file ``file_name`` as sent) and import it into ``collection``; InputError, PayloadTooLarge or
    PermissionDenied name what is wrong before anything is written."""
    options = options or ImportOptions()
    check_collection_name(collection)
    grant.require(features(collection))  # before the file is read
    name = safe_file_name(file_name)
    detect_format(name, options.format)  # the name must tell the format (or the form names it)
    with tempfile.TemporaryDirectory(prefix="vkc-upload-") as folder:
        path = Path(folder) / name
        _save(stream, path)
        if path.stat().st_size == 0:
            raise InputError(f"{name}: the file is empty", field="file")
        if zipfile.is_zipfile(path):
            check_zip(path)
        try:
            report = import_layer(store, path, collection, dataclasses.replace(options, origin=name), grant=grant)
        except VKCError as exc:
            raise _as_sent(exc, str(path), name) from None
        report.warnings = [_for_sender(w, str(path), name) for w in report.warnings]
        return report


#: the importer's options as the command line spells them, and as an upload's form does
_FLAG = re.compile(r"--([a-z]+(?:-[a-z]+)*)")


def _for_sender(text: str, path: str, name: str) -> str:
    """The importer's words as an upload's sender should read them: the file by the name they gave (never the server's
    temporary path), and the options by the form's field names (``skip_invalid``, not ``--skip-invalid``)."""
    text = text.replace(path, name)
    return _FLAG.sub(lambda m: m[1].replace("-", "_") if m[1].replace("-", "_") in (*TEXT_FIELDS, *FLAG_FIELDS) else m[0], text)


def _as_sent(exc: VKCError, path: str, name: str) -> VKCError:
    """The importer's error with :func:`_for_sender`'s words."""
    error = type(exc)(_for_sender(exc.message, path, name), **exc.detail)
    error.__cause__ = exc.__cause__
    return error


def _save(stream: BinaryIO, path: Path) -> None:
    limit, written = max_upload_bytes(), 0
    with open(path, "wb") as out:
        while chunk := stream.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise PayloadTooLarge(f"the file is larger than {limit // 2**20} MB, the most an upload may send ({UPLOAD_ENV})")
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def check_zip(path: Path) -> None:
    """Refuse a zip that would unpack past :func:`max_unzipped_bytes`, or whose members climb out of it (``../``, absolute paths)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{path.name}: not a readable zip ({exc})") from None
    total, limit = sum(m.file_size for m in members), max_unzipped_bytes()
    if total > limit:
        raise PayloadTooLarge(f"{path.name}: its members unpack to {total / 2**20:.0f} MB, more than the {limit // 2**20} MB allowed ({UNZIPPED_ENV})")
    climbing = [m.filename for m in members if m.filename.startswith(("/", "\\")) or ".." in Path(m.filename).parts]
    if climbing:
        raise FormatError(f"{path.name}: member {climbing[0]!r} points outside the archive")


#: the form fields an upload may send beside its file, as the ImportOptions they set
TEXT_FIELDS = ("crs", "title", "description", "id_field", "time_field", "x_field", "y_field", "format", "layer")
FLAG_FIELDS = ("skip_invalid", "repair", "anywhere")
_TRUE, _FALSE = ("true", "on", "1", "yes"), ("false", "off", "0", "no", "")


def options_from_form(fields: Mapping[str, str], *, ignore: Iterable[str] = ()) -> ImportOptions:
    """The import options an upload's form fields give (:data:`TEXT_FIELDS`, :data:`FLAG_FIELDS`); InputError for any other field
    (but those in ``ignore``, which the caller reads) or a flag that is not true or false."""
    unknown = sorted(set(fields) - set(TEXT_FIELDS) - set(FLAG_FIELDS) - set(ignore))
    if unknown:
        raise InputError(f"unknown field {unknown[0]!r}; an upload may send {', '.join((*TEXT_FIELDS, *FLAG_FIELDS))}", field=unknown[0])
    values: dict[str, Any] = {key: fields[key].strip() for key in TEXT_FIELDS if fields.get(key, "").strip()}
    for key in FLAG_FIELDS:
        text = fields.get(key, "").strip().lower()
        if text not in _TRUE + _FALSE:
            raise InputError(f"{key}: expected true or false, not {fields[key]!r}", field=key)
        values[key] = text in _TRUE
    return ImportOptions(**values)
