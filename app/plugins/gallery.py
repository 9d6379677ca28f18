"""The plugin gallery (plugins_gallery/ at the repository root): its manifest, its entries' files and a self-check."""
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from app.labeling_config import ConfigInvalid, parse_config

#: the gallery folder; tests point it elsewhere
ROOT = Path(__file__).resolve().parents[2] / "plugins_gallery"
MANIFEST = "manifest.json"
CATEGORIES = ("Validation", "Visualization", "Automation", "Workflow")
MODES = ("sandboxed", "trusted")
REQUIRED_FILES = ("plugin.js", "view.xml", "data.json", "README.md")
FIELDS = ("title", "description", "path", "category", "private", "mode", "allowlist")
# A folder name: no separators, no dots at the start (so no "..", no hidden folders), nothing a URL would mangle.
_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# A file name inside an entry's folder: no separators, not hidden.
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
# An https origin: scheme and host (and port), nothing after.
_ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$")

_cache = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Entry:
    """One gallery plugin as the manifest lists it."""

    title: str
    description: str
    path: str
    category: str
    private: bool
    mode: str
    allowlist: tuple


def valid_path(path):
    """Whether ``path`` has the shape of a gallery folder name (it may still be unknown)."""
    return isinstance(path, str) and bool(_PATH.match(path))


def _load_manifest():
    """The manifest's raw list (cached per process until the file changes); [] when missing or unreadable."""
    file = ROOT / MANIFEST
    try:
        stamp = file.stat().st_mtime_ns
    except OSError:
        return []
    with _lock:
        cached = _cache.get(file)
        if cached and cached[0] == stamp:
            return cached[1]
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = []
    raw = raw if isinstance(raw, list) else []
    with _lock:
        _cache[file] = (stamp, raw)
    return raw


def _entry(item):
    if not isinstance(item, dict) or not valid_path(item.get("path")):
        return None
    allowlist = item.get("allowlist") or []
    return Entry(title=str(item.get("title") or item["path"]), description=str(item.get("description") or ""),
                 path=item["path"], category=str(item.get("category") or ""), private=bool(item.get("private")),
                 mode=str(item.get("mode") or "sandboxed"),
                 allowlist=tuple(str(o) for o in allowlist) if isinstance(allowlist, list) else ())


def entries():
    """The gallery's entries, in manifest order (malformed items are left out; check_manifest reports them)."""
    return [e for e in (_entry(item) for item in _load_manifest()) if e is not None]


def entry(path):
    """The entry whose folder is ``path``, or None (unknown, or not a plain folder name)."""
    if not valid_path(path):
        return None
    return next((e for e in entries() if e.path == path), None)


def folder(path):
    """The folder of a listed entry, or None: the only way from a path to the file system."""
    found = entry(path)
    if found is None:
        return None
    directory = (ROOT / found.path).resolve()
    # valid_path already forbids separators and dots; this guards against a symlinked folder leaving the gallery.
    if directory.parent != ROOT.resolve() or not directory.is_dir():
        return None
    return directory


def asset(path, filename):
    """The file ``filename`` directly inside entry ``path``'s folder, or None (unknown, hidden, or outside it)."""
    directory = folder(path)
    if directory is None or not isinstance(filename, str) or not _FILE.match(filename):
        return None
    file = (directory / filename).resolve()
    if file.parent != directory or not file.is_file():
        return None
    return file


def read(path):
    """(code, view_xml, data) of entry ``path``; ``data`` is data.json parsed (``{"data": {...}}``).

    KeyError when ``path`` is not a listed entry.
    """
    directory = folder(path)
    if directory is None:
        raise KeyError(path)
    code = (directory / "plugin.js").read_text(encoding="utf-8")
    view_xml = (directory / "view.xml").read_text(encoding="utf-8")
    data = json.loads((directory / "data.json").read_text(encoding="utf-8"))
    return code, view_xml, data


def check_manifest():
    """Every problem with the gallery, as sentences; empty when the manifest and the folders agree and all is valid."""
    file = ROOT / MANIFEST
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except OSError:
        return [f"{MANIFEST} is missing from {ROOT}"]
    except ValueError as exc:
        return [f"{MANIFEST} is not valid JSON: {exc}"]
    if not isinstance(raw, list):
        return [f"{MANIFEST} must hold a list of entries"]
    problems, listed = [], set()
    for number, item in enumerate(raw, 1):
        where = f"Entry {number}"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        missing = [key for key in FIELDS if key not in item]
        if missing:
            problems.append(f"{where} lacks {', '.join(missing)}")
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            problems.append(f"{where} has unknown keys: {', '.join(unknown)}")
        path = item.get("path")
        if not valid_path(path):
            problems.append(f"{where}: path {path!r} must be a plain folder name (letters, digits, - and _)")
            continue
        where = f'Entry "{path}"'
        if path in listed:
            problems.append(f"{where} is listed twice")
        listed.add(path)
        problems += _check_fields(where, item)
        problems += _check_folder(where, ROOT / path)
    present = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    problems += [f'Folder "{name}" is not listed in {MANIFEST}' for name in sorted(present - listed)]
    return problems


def _check_fields(where, item):
    problems = []
    for key in ("title", "description"):
        if key in item and not (isinstance(item[key], str) and item[key].strip()):
            problems.append(f"{where}: {key} must be a non-empty text")
    if "category" in item and item["category"] not in CATEGORIES:
        problems.append(f"{where}: category {item['category']!r} is not one of {', '.join(CATEGORIES)}")
    if "mode" in item and item["mode"] not in MODES:
        problems.append(f"{where}: mode {item['mode']!r} is not one of {', '.join(MODES)}")
    if "private" in item and not isinstance(item["private"], bool):
        problems.append(f"{where}: private must be true or false")
    allowlist = item.get("allowlist", [])
    if not isinstance(allowlist, list):
        problems.append(f"{where}: allowlist must be a list of https origins")
    else:
        problems += [f"{where}: allowlist entry {origin!r} is not an https origin (https://host[:port])"
                     for origin in allowlist if not (isinstance(origin, str) and _ORIGIN.match(origin))]
    return problems


def _check_folder(where, directory):
    if not directory.is_dir():
        return [f"{where}: folder {directory.name}/ is missing"]
    problems = [f"{where}: {name} is missing" for name in REQUIRED_FILES if not (directory / name).is_file()]
    if problems:
        return problems
    try:
        task = json.loads((directory / "data.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"{where}: data.json is not valid JSON: {exc}"]
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict):
        return [f'{where}: data.json must be {{"data": {{...}}}}']
    try:
        parse_config((directory / "view.xml").read_text(encoding="utf-8"), data_keys=set(data))
    except ConfigInvalid as exc:
        problems += [f"{where}: view.xml: {error}" for error in exc.errors]
    if not (directory / "plugin.js").read_text(encoding="utf-8").strip():
        problems.append(f"{where}: plugin.js is empty")
    return problems
