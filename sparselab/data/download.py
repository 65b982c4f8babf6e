"""Fetching a dataset's official files: each is written atomically and kept only when its MD5 matches (an interrupted
download never looks complete), archives are unpacked into a temporary folder and renamed into place, and a lock on
the dataset folder keeps two processes from fetching it at once."""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import BinaryIO, Callable

import filelock

from sparselab.data.base import RemoteFile
from sparselab.core.errors import UsageError
from sparselab.core.io import atomic_write

CHUNK = 1 << 20
TIMEOUT_S = 60


class _Md5Mismatch(Exception):
    pass


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stream(url: str, md5: str, out: BinaryIO) -> None:
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        for chunk in iter(lambda: response.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != md5:
        raise _Md5Mismatch(f"{url} has MD5 {digest.hexdigest()}, expected {md5}")


def fetch(remote: RemoteFile, target: Path, opener: Callable[[str, str, BinaryIO], None] = _stream) -> None:
    """Download `remote` to `target` from the first URL that works; UsageError when none does."""
    failures = []
    for url in remote.urls:
        try:
            atomic_write(target, lambda f, url=url: opener(url, remote.md5, f))
            return
        except _Md5Mismatch as e:
            failures.append(str(e))
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as e:
            failures.append(f"{url}: {getattr(e, 'reason', e)}")
    raise UsageError(f"could not download {remote.filename} (offline or no mirror answered: {'; '.join(failures)}); "
                     f"place the file in {target.parent} by hand")


def extract(archive: Path, folder: Path) -> None:
    """Unpack a .tar.gz / .tgz / .zip archive into `folder` (paths outside it are refused)."""
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)  # zipfile drops absolute and ".." components itself
        else:
            with tarfile.open(archive) as t:
                t.extractall(tmp, filter="data")
        for entry in tmp.iterdir():
            destination = folder / entry.name
            if destination.is_dir():
                shutil.rmtree(destination)
            os.replace(entry, destination)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as e:
        raise UsageError(f"cannot unpack {archive}: {e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def download_all(remotes: tuple[RemoteFile, ...], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(folder / ".download.lock")):
        for remote in remotes:
            target = folder / remote.filename
            if not (target.exists() and md5_of(target) == remote.md5):
                print(f"downloading {remote.filename} into {folder}", flush=True)
                fetch(remote, target)
            if remote.extract:
                extract(target, folder)
