#!/usr/bin/env bash
# Unpack the real non-Python code the hard decontamination benchmark uses as clean files into DEST
# (Java, Go, Ruby and shell sources from Debian 12 packages). Python, C/C++ and JavaScript come from the
# running interpreter, /usr/include and the global node_modules; see docs/decontamination.md.
# Usage: bash benchmarks/fetch_clean_sources.sh DEST
set -euo pipefail
dest=${1:?usage: fetch_clean_sources.sh DEST}
mkdir -p "$dest/debs" "$dest/root" "$dest/java"
cd "$dest/debs"
# Versions pinned to what the published numbers used (Debian 12 "bookworm").
apt-get download openjdk-17-source golang-1.19-src libruby3.1 bash-completion
for deb in *.deb; do dpkg -x "$deb" "$dest/root"; done
# Java: a fixed subset of the JDK's own sources (the whole src.zip is 50k files).
(cd "$dest/java" && unzip -q -o "$dest/root/usr/lib/jvm/openjdk-17/lib/src.zip" \
  'java.base/java/util/*' 'java.base/java/lang/*' 'java.base/java/io/*' 'java.desktop/javax/swing/*' 'java.net.http/*')
echo "clean sources under $dest"
