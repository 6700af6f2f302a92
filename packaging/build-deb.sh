#!/usr/bin/env bash
# Builds wg-pr_<version>_amd64.deb from a finished Maven build (./dev.sh package runs both) with Debian's
# own dpkg-deb, into packaging/target/. Needs JAVA_HOME at the JDK 25 that built wg-pr.jar (its jlink and
# jdeps make the runtime) and asciidoctor (the man pages' troff).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
packaging=$repo/packaging
jar=$repo/client/target/wg-pr.jar
generated=$packaging/target/generated
out=$packaging/target
[ -f "$jar" ] && [ -d "$generated/man" ] || { echo "build-deb: build first (mvn package)" >&2; exit 1; }

# Maven's 0.1.0-SNAPSHOT is Debian's 0.1.0~snapshot: it sorts before the 0.1.0 release.
maven_version=$(unzip -p "$jar" META-INF/MANIFEST.MF | sed -n 's/^Implementation-Version: *\([^[:space:]]*\).*/\1/p')
[ -n "$maven_version" ] || { echo "build-deb: no Implementation-Version in $jar" >&2; exit 1; }
version=$(echo "$maven_version" | sed 's/-SNAPSHOT$/~snapshot/')

root=$out/deb-root
rm -f "$out"/wg-pr_*_amd64.deb
rm -rf "$root"
umask 022
lib=$root/usr/lib/wg-pr
mkdir -p "$lib" "$root/usr/bin" "$root/DEBIAN"

# The runtime: exactly the modules jdeps finds in wg-pr.jar (the FFM API is in java.base), without
# debug attributes, headers or man pages, with the default class-data archive (a CLI JVM starts in about
# 0.2 s less) but not its twin for heaps of 32 GiB and more (14 MiB that wg-pr's small heaps never map),
# and without the launchers wg-pr does not run (keytool, jwebserver) or jrt-fs.jar (for other JDKs' tools).
# Native code is stripped as Debian's own packages are.
modules=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 "$jar")
echo "==> jlink runtime of $modules"
runtime=$lib/runtime
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --generate-cds-archive --output "$runtime"
rm -f "$runtime"/lib/server/classes_nocoops.jsa "$runtime"/bin/keytool "$runtime"/bin/jwebserver \
  "$runtime"/lib/jrt-fs.jar
find "$runtime" -type f \( -name '*.so' -o -perm -u+x \) -exec sh -c \
  'for f; do head -c4 "$f" | grep -q ELF && strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"; done' sh {} +
chmod -R u+w,go-w,a+rX "$runtime"
find "$runtime" -type f ! -perm -u+x -exec chmod 0644 {} +
# wg-pr.jar is the same on every architecture: /usr/share, as Debian keeps jars.
install -D -m 0644 "$jar" "$root/usr/share/wg-pr/wg-pr.jar"
install -m 0755 "$packaging/debian/launcher" "$root/usr/bin/wg-pr"
install -D -m 0644 "$packaging/../client/cli.jvm-options" "$root/usr/lib/wg-pr/cli.jvm-options"
install -D -m 0644 "$packaging/../client/cli-fast.jvm-options" "$root/usr/lib/wg-pr/cli-fast.jvm-options"
# `run` without a JVM (run.pl), and the waiter it becomes.
install -D -m 0644 -t "$root/usr/lib/wg-pr" "$packaging"/../client/src/main/resources/dev/wgpr/client/cli/run.pl \
  "$packaging"/../client/src/main/resources/dev/wgpr/client/cli/waiter.pl
echo "==> the CLI's ahead-of-time cache, made by the package's own runtime"
"$packaging/../client/aot-cache.sh" "$runtime/bin/java" "$root/usr/share/wg-pr/wg-pr.jar" "$root/usr/lib/wg-pr/wg-pr.aot"
chmod 0644 "$root/usr/lib/wg-pr/wg-pr.aot" "$root/usr/lib/wg-pr/wg-pr-version.aot" "$root/usr/lib/wg-pr/wg-pr-"{status,check,run}.aot

install -D -m 0644 -t "$root/lib/systemd/system" "$packaging"/systemd/wg-pr.service "$packaging"/systemd/wg-pr.socket \
  "$packaging"/systemd/wg-pr@.service
install -D -m 0644 "$packaging/sysusers/wg-pr.conf" "$root/usr/lib/sysusers.d/wg-pr.conf"
install -D -m 0644 "$packaging/polkit/dev.wgpr.policy" "$root/usr/share/polkit-1/actions/dev.wgpr.policy"
install -D -m 0644 "$packaging/iproute2/rt_protos.d/wg-pr.conf" "$root/etc/iproute2/rt_protos.d/wg-pr.conf"
# The tray: in the application menu, started with the desktop session (XDG autostart, or the systemd user unit).
install -D -m 0644 "$packaging/desktop/wg-pr-tray.desktop" "$root/usr/share/applications/wg-pr-tray.desktop"
install -D -m 0644 "$packaging/desktop/wg-pr-tray-autostart.desktop" "$root/etc/xdg/autostart/wg-pr-tray.desktop"
install -D -m 0644 "$packaging/systemd/user/wg-pr-tray.service" "$root/usr/lib/systemd/user/wg-pr-tray.service"
install -D -m 0644 -t "$root/usr/share/icons/hicolor/scalable/status" "$packaging"/icons/wg-pr-*.svg

echo "==> man pages"
asciidoctor -b manpage -a reproducible -D "$out/man" "$generated"/man/*.adoc "$packaging"/man/wg-pr.toml.5.adoc
for page in "$out"/man/*.[0-9]; do
  section=${page##*.}
  install -D -m 0644 "$page" "$root/usr/share/man/man$section/$(basename "$page")"
  gzip -9n "$root/usr/share/man/man$section/$(basename "$page")"
done

install -D -m 0644 "$generated/completions/wg-pr.bash" "$root/usr/share/bash-completion/completions/wg-pr"
install -D -m 0644 "$generated/completions/_wg-pr" "$root/usr/share/zsh/vendor-completions/_wg-pr"
install -D -m 0644 "$generated/completions/wg-pr.fish" "$root/usr/share/fish/vendor_completions.d/wg-pr.fish"

doc=$root/usr/share/doc/wg-pr
install -D -m 0644 "$packaging/debian/copyright" "$doc/copyright"
install -D -m 0644 "$packaging/debian/lintian-overrides" "$root/usr/share/lintian/overrides/wg-pr"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct)}")/" \
  "$packaging/debian/changelog" | gzip -9n > "$doc/changelog.gz"

install -m 0755 -t "$root/DEBIAN" "$packaging"/debian/postinst "$packaging"/debian/prerm "$packaging"/debian/postrm
install -m 0644 "$packaging/debian/conffiles" "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$root/DEBIAN/md5sums"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  "$packaging/debian/control.in" > "$root/DEBIAN/control"

deb=$out/wg-pr_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "==> $deb: $(du -k "$deb" | cut -f1) KiB, installed $installed_size KiB"
