"""The packages each corpus size is built from, with pinned versions, and what part of each is a repository.

A pin makes a rebuild byte-identical; `--latest` ignores the pins and records what it resolved. Debian
keeps superseded versions in its pool for a while only: when a pinned version has gone, the build stops
and says so, and the pin here is the one line to change.
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTRIES = ("debian", "npm", "pypi")


@dataclass(frozen=True)
class PackageSpec:
    """One package. `root` is the folder (inside the package, or inside `inner` when set) that is the
    repository; each folder matching a `split` glob under it is a repository of its own. `inner` is an
    archive inside a .deb that holds the sources (linux-source ships a tarball, openjdk a src.zip).
    `extensionless_language` is the language of files with no extension and no shebang (bash-completion's
    scripts are named after the command they complete). `gunzip` restores files Debian compressed."""

    registry: str
    name: str
    version: str | None = None
    root: str | None = None  # None: the archive's one top folder
    inner: str | None = None
    split: tuple[str, ...] = ()
    extensionless_language: str | None = None
    gunzip: bool = False

    def __post_init__(self):
        if self.registry not in REGISTRIES:
            raise ValueError(f"`registry` must be one of {REGISTRIES}, got {self.registry!r}.")

    @property
    def key(self) -> str:
        return f"{self.registry}:{self.name}"


def _deb(name, version, root, **options) -> PackageSpec:
    return PackageSpec("debian", name, version, root, **options)


def _npm(name, version) -> PackageSpec:
    return PackageSpec("npm", name, version)


def _pypi(name, version) -> PackageSpec:
    return PackageSpec("pypi", name, version)


# About 100 MB of content in 10+ languages, from packages that download and unpack in seconds.
SMALL: tuple[PackageSpec, ...] = (
    _deb("libruby3.1", "3.1.7+really3.1.2-0+deb12u1", "usr/lib/ruby"),
    _deb("bash-completion", "1:2.11-6", "usr/share/bash-completion", extensionless_language="Shell"),
    _deb("postgresql-15", "15.20-0+deb12u1", "usr/share/postgresql/15"),
    _deb("wordpress", "6.1.9+dfsg1-0+deb12u1", "usr/share/wordpress"),
    _deb("swig4.0-examples", "4.1.0-0.2", "usr/share/doc/swig4.0-examples", gunzip=True),
    _npm("lodash", "4.18.1"),
    _npm("express", "5.3.0"),
    _npm("rxjs", "7.8.2"),
    _npm("react-native", "0.86.3"),
    _pypi("requests", "2.34.2"),
    _pypi("flask", "3.1.3"),
    _pypi("pygments", "2.21.0"),
    _pypi("jupytext", "1.19.6"),
    _pypi("pythonnet", "3.2.1"),
)

# At least 1 GB and 100k files; the kernel alone is one repository of ~80k files.
LARGE: tuple[PackageSpec, ...] = (
    *SMALL,
    _deb("linux-source-6.1", "6.1.192-3", "linux-source-6.1", inner="usr/src/linux-source-6.1.tar.xz"),
    _deb("glibc-source", "2.36-9+deb12u14", "glibc-2.36", inner="usr/src/glibc/glibc-*.tar.xz"),
    _deb("openjdk-17-source", "17.0.21.1+2-1~deb12u1", "", inner="usr/lib/jvm/openjdk-17/lib/src.zip"),
    _deb("libboost1.74-dev", "1.74.0+ds1-21", "usr/include/boost"),
    _deb("golang-1.19-src", "1.19.8-2", "usr/share/go-1.19"),
    _deb("rust-src", "1.63.0+dfsg1-2", "usr/src/rustc-1.63.0"),
    _deb(
        "mediawiki", "1:1.39.17-1+deb12u2", "usr/share/mediawiki", split=("extensions-core/*", "skins/*", "vendor/*/*")
    ),
    _deb("postgresql-15-postgis-3-scripts", "3.3.2+dfsg-1", "usr/share/postgresql/15"),
    _deb("ruby-activesupport", "2:6.1.7.10+dfsg-1~deb12u4", "usr/share/rubygems-integration/all/gems"),
    _deb("ruby-activerecord", "2:6.1.7.10+dfsg-1~deb12u4", "usr/share/rubygems-integration/all/gems"),
    _deb("ruby-actionpack", "2:6.1.7.10+dfsg-1~deb12u4", "usr/share/rubygems-integration/all/gems"),
    _npm("typescript", "5.9.3"),  # 7.x is the native compiler: a launcher script, no TypeScript sources
    _npm("react", "19.3.1"),
    _npm("react-dom", "19.3.1"),
    _npm("@angular/core", "21.2.26"),
    _npm("vue", "3.5.46"),
    _npm("three", "0.187.0"),
    _npm("@types/node", "26.6.11"),
    _npm("zod", "4.6.7"),
    _npm("date-fns", "4.4.0"),
    _npm("axios", "1.21.1"),
    _npm("expo-modules-core", "58.2.0"),
    _npm("@stripe/stripe-react-native", "0.78.0"),
    _npm("react-native-windows", "0.76.9"),  # npm's engine-compatible pick for Node 20 is a 1.0.0 placeholder
    _pypi("django", "5.2.19"),
    _pypi("sympy", "1.14.0"),
    _pypi("sqlalchemy", "2.1.9"),
    _pypi("nbconvert", "7.17.2"),
    _pypi("nbformat", "5.11.1"),
    _pypi("nbclient", "0.11.0"),
    _pypi("ansible-core", "2.19.14"),
)

SIZES = {"small": SMALL, "large": LARGE}
