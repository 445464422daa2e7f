#!/bin/sh
# Installs what a private Cyrus IMAP 3.6 test server needs, beside Dovecot (Debian 12, as root).
#
# cyrus-imapd and dovecot-imapd conflict as Debian packages (both provide imap-server), so apt
# installs only cyrus-common (master, ctl_cyrusdb, lmtpd and the tools; it does not conflict) and
# sasl2-bin (saslpasswd2), and imapd and idled are taken out of the downloaded cyrus-imapd package
# without installing it. test/support/cyrus.ts runs them from there with absolute paths.
#
# Usage: test/support/cyrus-install.sh [DEST]   (DEST defaults to <repo>/.cache/cyrus-imapd)
# Prints DEST/bin, the folder that then holds imapd and idled. Does nothing that is already done.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DEST=${1:-$REPO/.cache/cyrus-imapd}
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

if [ ! -x /usr/lib/cyrus/bin/master ] || [ ! -x /usr/sbin/saslpasswd2 ]; then
  # In a container the package's postinst starts nothing (policy-rc.d); it creates the user cyrus.
  $SUDO apt-get install -y -q --no-install-recommends cyrus-common sasl2-bin >&2 \
    || { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q --no-install-recommends cyrus-common sasl2-bin >&2; }
fi

# The imapd of the same version as cyrus-common (the package depends on exactly that version).
VERSION=$(dpkg-query -W -f '${Version}' cyrus-common)
if [ ! -x "$DEST/bin/imapd" ] || [ "$(cat "$DEST/version" 2>/dev/null)" != "$VERSION" ]; then
  WORK=$(mktemp -d)
  # apt-get download runs as the _apt user unless it can write the folder: download as root instead
  (cd "$WORK" && apt-get -q -o APT::Sandbox::User=root download "cyrus-imapd=$VERSION" >&2)
  dpkg-deb -x "$WORK"/cyrus-imapd_*.deb "$WORK/root"
  mkdir -p "$DEST/bin"
  cp "$WORK/root/usr/lib/cyrus/bin/imapd" "$WORK/root/usr/lib/cyrus/bin/idled" "$DEST/bin/"
  # master drops to the user cyrus, which must be able to run them
  chmod 755 "$DEST" "$DEST/bin" "$DEST/bin/imapd" "$DEST/bin/idled"
  echo "$VERSION" > "$DEST/version"
  rm -rf "$WORK"
fi
echo "$DEST/bin"
