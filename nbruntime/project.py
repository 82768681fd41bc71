"""The app's folder as a Next.js project: ``next start`` runs in a folder that holds a ``package.json``, and
every deployed cell is a file in it.

Node.js code reads it through ``process.cwd()`` (tests/conformance/production-env); the versions are the
ones the emulated Next.js releases pin, also written into exported projects.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, Problem

PACKAGES = {
    "15": {"next": "15.5.29", "react": "19.1.10", "react-dom": "19.1.10"},
    "16": {"next": "16.4.6", "react": "19.3.1", "react-dom": "19.3.1"},
}


def major(next_version: str) -> str:
    """'16' for Next 16, else '15'."""
    return "16" if str(next_version).startswith("16") else "15"


def ensure_package_json(folder: Path, next_version: str) -> None:
    """Gives the app's own folder a ``package.json``, as ``create-next-app`` would; one already there is kept."""
    target = folder / "package.json"
    if target.exists():
        return
    package = {
        "name": "nbruntime-app",
        "version": "0.1.0",
        "private": True,
        "scripts": {"build": "next build", "start": "next start"},
        "dependencies": PACKAGES[major(next_version)],
    }
    target.write_text(json.dumps(package, indent=2) + "\n")


class FileEdit:
    """A cell's file in the project folder, written or removed in a way that can be taken back (``undo``): a
    deploy that fails or is interrupted leaves the folder as it was, down to the folders made for the file.
    """

    def __init__(self, root: Path, path: str, written: dict[str, Written] | None = None):
        self.root, self.path = root, path
        self.file = root / path
        # What the app's earlier edits wrote (kept by the app): a file still as one left it is not read back, which
        # on a virtual machine costs a redeploy more than its other file work (0.2 ms after a pause).
        self.written = {} if written is None else written
        known = self.written.get(path)
        self.content = known.content if known and known.signature == _signature(self.file) else _read(self.file)
        self.made: list[Path] = []  # the folders made for the file, outermost first
        self.touched = False

    def write(self, text: str) -> None:
        """Writes the file and the folders it needs; a path the file system refuses is a BuildError naming it."""
        self.made = [folder for folder in _ancestors(self.root, self.file) if not os.path.isdir(folder)]
        self.touched = True
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode()
            self.written[self.path] = Written(data, _overwrite(self.file, data))
        except OSError as error:
            raise BuildError([self._problem(error)]) from None

    def remove(self) -> None:
        """Removes the file, and the folders it leaves empty."""
        self.touched = True
        self.written.pop(self.path, None)
        self.file.unlink(missing_ok=True)
        for folder in reversed(_ancestors(self.root, self.file)):
            try:
                folder.rmdir()
            except OSError:  # not empty (or not ours to remove): neither is any folder above it
                break

    def undo(self) -> None:
        self.written.pop(self.path, None)  # (written back within the file system's clock tick, it could look the same)
        if self.touched:
            if self.content is None:
                if os.path.isfile(self.file):  # not a folder that was there (and made the write fail)
                    self.file.unlink()
            else:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                self.file.write_bytes(self.content)
        for folder in reversed(self.made):
            with contextlib.suppress(OSError):
                folder.rmdir()

    def _problem(self, error: OSError) -> Problem:
        """What the file system's refusal means for the cell, in words."""
        if error.errno == errno.EISDIR:
            return Problem(self.path, "a folder of that name is in the project folder", name="PathConflict")
        folders = _ancestors(self.root, self.file)
        if blocker := next((f for f in folders if os.path.lexists(f) and not os.path.isdir(f)), None):
            where = blocker.relative_to(self.root).as_posix()
            return Problem(self.path, f"it needs a folder {where}, but {where} is a file", name="PathConflict")
        if error.errno == errno.ENAMETOOLONG:
            return Problem(self.path, self._too_long(), name="InvalidPath")
        message = f"the project folder cannot hold it: {error.strerror or error}"
        return Problem(self.path, message, name="FileSystemError")

    def _too_long(self) -> str:
        longest = max(self.path.split("/"), key=lambda name: len(os.fsencode(name)))
        size, limit = len(os.fsencode(longest)), _limit(self.root, "PC_NAME_MAX", 255)
        if size > limit:
            shown = longest if len(longest) <= 40 else f"{longest[:20]}…{longest[-12:]}"
            return f"the name {shown!r} is {size} bytes long; the file system takes names of {limit} bytes at most"
        size, limit = len(os.fsencode(self.file)), _limit(self.root, "PC_PATH_MAX", 4096) - 1
        return f"its path in the project folder is {size} bytes long; the file system takes {limit} bytes at most"


def _ancestors(root: Path, file: Path) -> list[Path]:
    """The folders between ``root`` and ``file``, outermost first."""
    return [root / folder for folder in reversed(file.relative_to(root).parents[:-1])]


def _overwrite(file: Path, data: bytes) -> tuple[int, ...]:
    """Writes ``data`` over the file's bytes, then cuts what is left; returns the file's signature as written. An
    edited cell keeps its disk blocks: truncating to nothing first makes ext4 free and allocate them again, which made
    each deploy's write 60 times slower."""
    fd = os.open(file, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(data))
        return _signature_of(os.fstat(fd))
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Written:
    """A file as an edit left it: its bytes, and its signature then (any later write or replacement changes it)."""

    content: bytes
    signature: tuple[int, ...]


def _signature(file: Path) -> tuple[int, ...] | None:
    try:
        return _signature_of(os.stat(file))
    except OSError:
        return None


def _signature_of(status: os.stat_result) -> tuple[int, ...]:
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def _read(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except OSError:  # none there, a folder, or a path the file system refuses
        return None


def _limit(folder: Path, name: str, default: int) -> int:
    """A limit of the file system ``folder`` is on (``os.pathconf``), where the platform says."""
    try:
        return os.pathconf(folder, name)
    except (AttributeError, OSError, ValueError):
        return default
