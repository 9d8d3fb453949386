"""Download and unpack one package with its registry's own client, through a cache a rerun reuses.

Debian: `apt-get download NAME=VERSION` and `dpkg -x` (into the cache, never onto `/`); npm: `npm pack
NAME@VERSION`; PyPI: `pip download --no-deps --no-binary NAME NAME==VERSION` (the sdist). Archives live
in `CACHE/downloads/<registry>/<name>/<version>/`, trees in `CACHE/unpacked/...`; a tree is renamed into
place only once it is complete, so a killed run never leaves a half tree that a rerun would trust.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from corpus_builder.licenses import LicenseInfo, debian_copyright_licenses, npm_licenses, pkg_info_licenses
from corpus_builder.packages import PackageSpec

_DOC_LINK_HOPS = 5  # openjdk-17-source -> -jdk -> -jre -> -jre-headless, which holds the copyright


class RegistryError(RuntimeError):
    """A registry client failed, or a package or pinned version is not there; the message says which."""


@dataclass(frozen=True)
class FetchedPackage:
    """A package on disk: the exact version, its archive and digest, the repository root and licence."""

    spec: PackageSpec
    version: str
    archive: Path
    archive_sha256: str
    root: Path
    license: LicenseInfo
    skipped_archive_members: int = 0  # members an archive wanted outside its folder (never extracted)


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    if shutil.which(cmd[0]) is None:
        raise RegistryError(f"{what}: `{cmd[0]}` is not installed on this machine.")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip()).splitlines() or ["no output"]
        errors = [line for line in lines if line.startswith(("E:", "ERROR", "npm error"))]
        raise RegistryError(f"{what} failed (`{' '.join(cmd)}`, exit {proc.returncode}): {(errors or lines)[-1]}")
    return proc


def _folder_name(text: str) -> str:
    """A name or version as one folder name: `1:2.11-6` -> `1_2.11-6`, `@types/node` -> `@types_node`."""
    return re.sub(r"[^A-Za-z0-9.+@_-]", "_", text)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _only_file(folder: Path, pattern: str = "*") -> Path | None:
    found = sorted(p for p in folder.glob(pattern) if p.is_file()) if folder.is_dir() else []
    if len(found) > 1:
        raise RegistryError(f"expected one archive in {folder}, found {len(found)}: remove the folder and rerun.")
    return found[0] if found else None


def _single_top_folder(tree: Path) -> Path:
    entries = [p for p in tree.iterdir() if not p.name.startswith(".")]
    if len(entries) != 1 or not entries[0].is_dir():
        raise RegistryError(f"{tree} should hold one top folder, found {sorted(p.name for p in entries)}.")
    return entries[0]


def extract_archive(archive: Path, dest: Path) -> int:
    """Unpack a tar (any compression) or zip into `dest`; returns how many members were refused because
    they pointed outside `dest` (absolute paths, `..`, links out), which are never written."""
    refused = 0
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = Path(info.filename).parts
                if info.filename.startswith("/") or ".." in parts:
                    refused += 1
                    continue
                zf.extract(info, dest)
        return refused

    def data_only(member: tarfile.TarInfo, path: str):
        nonlocal refused
        try:
            return tarfile.data_filter(member, path)
        except tarfile.FilterError:
            refused += 1
            return None

    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter=data_only)
    return refused


def gunzip_tree(root: Path) -> int:
    """Replace each `NAME.gz` under `root` by `NAME` (Debian gzips documentation, examples included)."""
    restored = 0
    for path in sorted(root.rglob("*.gz")):
        target = path.with_suffix("")
        if path.is_symlink() or not path.is_file() or target.exists():
            continue
        with gzip.open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        path.unlink()
        restored += 1
    return restored


class PackageCache:
    """Fetches `PackageSpec`s into `root`; with `latest`, pins are ignored and the newest version is used."""

    def __init__(self, root: str | Path, latest: bool = False, log: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.latest = latest
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self._apt_updated = False

    def fetch(self, spec: PackageSpec) -> FetchedPackage:
        return {"debian": self._fetch_debian, "npm": self._fetch_npm, "pypi": self._fetch_pypi}[spec.registry](spec)

    def _pinned(self, spec: PackageSpec) -> str | None:
        return None if self.latest else spec.version

    def _download_dir(self, spec_registry: str, name: str, version: str) -> Path:
        return self.root / "downloads" / spec_registry / _folder_name(name) / _folder_name(version)

    def _unpack_once(self, spec: PackageSpec, version: str, unpack: Callable[[Path], int]) -> tuple[Path, int]:
        """The unpacked tree of (spec, version), made by `unpack(partial_dir)` only when not cached."""
        tree = self.root / "unpacked" / spec.registry / _folder_name(spec.name) / _folder_name(version)
        info = tree / ".unpack.json"
        if info.exists():
            return tree, json.loads(info.read_text())["skipped_archive_members"]
        partial = tree.with_name(tree.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        refused = unpack(partial)
        (partial / ".unpack.json").write_text(json.dumps({"skipped_archive_members": refused}) + "\n")
        shutil.rmtree(tree, ignore_errors=True)
        partial.rename(tree)
        return tree, refused

    @staticmethod
    def _root(spec: PackageSpec, base: Path) -> Path:
        root = _single_top_folder(base) if spec.root is None else base / spec.root
        if not root.is_dir():
            raise RegistryError(f"{spec.key}: the package has no folder {spec.root!r} (its `root` in packages.py).")
        return root

    # -- Debian ---------------------------------------------------------------------------------------
    def _apt_versions(self, name: str) -> list[str]:
        for attempt in range(2):
            out = _run(["apt-cache", "madison", name], f"looking up debian:{name}").stdout
            versions = [line.split("|")[1].strip() for line in out.splitlines() if line.count("|") >= 2]
            if versions or attempt or self._apt_updated:
                return list(dict.fromkeys(versions))
            self.log("apt index has no entry for it: running `apt-get update` once")
            _run(["apt-get", "update"], "apt-get update (run it as root, or as root run it once by hand)")
            self._apt_updated = True
        return []

    def _apt_candidate(self, name: str) -> str:
        if not self._apt_versions(name):
            raise RegistryError(f"debian:{name} is not in the apt index (check the name with `apt-cache search`).")
        out = _run(["apt-cache", "policy", name], f"looking up debian:{name}").stdout
        match = re.search(r"Candidate:\s*(\S+)", out)
        if not match or match.group(1) == "(none)":
            raise RegistryError(f"debian:{name} has no installable version in the apt index.")
        return match.group(1)

    def _apt_download(self, name: str, version: str) -> Path:
        folder = self._download_dir("debian", name, version)
        cached = _only_file(folder, "*.deb")
        if cached:
            return cached
        versions = self._apt_versions(name)
        if not versions:
            raise RegistryError(f"debian:{name} is not in the apt index (check the name with `apt-cache search`).")
        if version not in versions:
            raise RegistryError(
                f"debian:{name}={version} is pinned, but the apt index only has {', '.join(versions)}: change its "
                f"pin in benchmarks/corpus_builder/packages.py, or pass --latest."
            )
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        _run(["apt-get", "download", f"{name}={version}"], f"downloading debian:{name}={version}", cwd=partial)
        deb = _only_file(partial, "*.deb")
        if deb is None:
            raise RegistryError(f"`apt-get download {name}={version}` wrote no .deb.")
        got = _run(["dpkg-deb", "-f", str(deb), "Version"], f"reading the version of {deb.name}").stdout.strip()
        if got != version:
            raise RegistryError(f"debian:{name}: asked for {version}, apt-get downloaded {got}.")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
        return folder / deb.name

    def _linked_copyright(self, package: str, version: str) -> str:
        """The copyright of a package whose doc folder is a link to another package's (same source version)."""
        for _ in range(_DOC_LINK_HOPS):
            deb = self._apt_download(package, version)
            doc = f"usr/share/doc/{package}"
            link = None
            proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
            try:
                with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                    for member in tar:
                        name = member.name.removeprefix("./").rstrip("/")
                        if name == f"{doc}/copyright" and member.isfile():
                            return tar.extractfile(member).read().decode("utf-8", "replace")
                        if name == doc and member.issym():
                            link = member.linkname
            finally:
                proc.kill()
                proc.wait()
            if link is None or "/" in link:
                break
            package = link
        raise RegistryError(f"debian:{package}={version}: no copyright file found through its doc folder links.")

    def _fetch_debian(self, spec: PackageSpec) -> FetchedPackage:
        version = self._pinned(spec) or self._apt_candidate(spec.name)
        deb = self._apt_download(spec.name, version)

        def unpack(partial: Path) -> int:
            self.log(f"unpacking {deb.name}")
            _run(["dpkg", "-x", str(deb), str(partial / "pkg")], f"unpacking {deb.name}")
            refused = 0
            if spec.inner:
                inner = sorted((partial / "pkg").glob(spec.inner))
                if len(inner) != 1:
                    raise RegistryError(f"{spec.key}: `inner` {spec.inner!r} matches {len(inner)} files, not one.")
                self.log(f"unpacking {inner[0].name} from it")
                refused = extract_archive(inner[0], partial / "inner")
            doc = partial / "pkg" / "usr" / "share" / "doc" / spec.name
            if (doc / "copyright").is_file() and not doc.is_symlink():
                text = (doc / "copyright").read_text(encoding="utf-8", errors="replace")
            elif doc.is_symlink():
                text = self._linked_copyright(os.readlink(doc), version)
            else:
                raise RegistryError(f"{spec.key}: the package has no usr/share/doc/{spec.name}/copyright.")
            (partial / "copyright").write_text(text, encoding="utf-8")
            if spec.gunzip:
                self.log(
                    f"restored {gunzip_tree(self._root(spec, partial / ('inner' if spec.inner else 'pkg')))} files"
                )
            return refused

        tree, refused = self._unpack_once(spec, version, unpack)
        root = self._root(spec, tree / ("inner" if spec.inner else "pkg"))
        license_ = debian_copyright_licenses((tree / "copyright").read_text(encoding="utf-8"))
        return FetchedPackage(spec, version, deb, sha256_of(deb), root, license_, refused)

    # -- npm ------------------------------------------------------------------------------------------
    def _fetch_npm(self, spec: PackageSpec) -> FetchedPackage:
        version = pinned = self._pinned(spec)
        archive = _only_file(self._download_dir("npm", spec.name, pinned), "*.tgz") if pinned else None
        if archive is None:
            staging = self.root / "downloads" / "npm" / ".staging"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            request = f"{spec.name}@{pinned}" if pinned else spec.name
            out = _run(["npm", "pack", request, "--pack-destination", str(staging), "--json", "--ignore-scripts"],
                       f"downloading npm:{request}", cwd=staging).stdout  # fmt: skip
            packed = json.loads(out[out.index("[") :])[0]
            version = packed["version"]
            if pinned and version != pinned:
                raise RegistryError(f"npm:{spec.name}: asked for {pinned}, npm packed {version}.")
            folder = self._download_dir("npm", spec.name, version)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            archive = folder / packed["filename"]
            (staging / packed["filename"]).rename(archive)
        tree, refused = self._unpack_once(spec, version, lambda partial: extract_archive(archive, partial))
        root = self._root(spec, tree)
        package_json = json.loads((root / "package.json").read_text(encoding="utf-8"))
        if package_json.get("version") != version:
            raise RegistryError(f"npm:{spec.name}: package.json says {package_json.get('version')}, not {version}.")
        return FetchedPackage(spec, version, archive, sha256_of(archive), root, npm_licenses(package_json), refused)

    # -- PyPI -----------------------------------------------------------------------------------------
    def _fetch_pypi(self, spec: PackageSpec) -> FetchedPackage:
        version = pinned = self._pinned(spec)
        archive = _only_file(self._download_dir("pypi", spec.name, pinned)) if pinned else None
        if archive is None:
            staging = self.root / "downloads" / "pypi" / ".staging"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            request = f"{spec.name}=={pinned}" if pinned else spec.name
            _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", spec.name, "--dest",
                  str(staging), "--disable-pip-version-check", "--no-input", "--progress-bar", "off", request],
                 f"downloading pypi:{request}")  # fmt: skip
            sdist = _only_file(staging)
            if sdist is None or not sdist.name.endswith((".tar.gz", ".zip", ".tar.bz2")):
                raise RegistryError(f"pypi:{request}: pip downloaded no sdist ({sdist and sdist.name}).")
            stem = sdist.name.removesuffix(".zip").removesuffix(".tar.gz").removesuffix(".tar.bz2")
            version = stem.rsplit("-", 1)[-1]
            if pinned and version != pinned:
                raise RegistryError(f"pypi:{spec.name}: asked for {pinned}, pip downloaded {sdist.name}.")
            folder = self._download_dir("pypi", spec.name, version)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            archive = folder / sdist.name
            sdist.rename(archive)
        tree, refused = self._unpack_once(spec, version, lambda partial: extract_archive(archive, partial))
        root = self._root(spec, tree)
        pkg_info = (root / "PKG-INFO").read_text(encoding="utf-8", errors="replace")
        declared = re.search(r"^Version:\s*(\S+)", pkg_info, re.MULTILINE)
        if not declared or declared.group(1) != version:
            raise RegistryError(f"pypi:{spec.name}: PKG-INFO says {declared and declared.group(1)}, not {version}.")
        return FetchedPackage(spec, version, archive, sha256_of(archive), root, pkg_info_licenses(pkg_info), refused)
