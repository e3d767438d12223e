#!/bin/sh
# Install the system packages that building and checking the bundle needs (Debian or Ubuntu, as
# root); does nothing when they are all there already.
#  - binutils: objdump and strip, which PyInstaller and the build's library checks use.
#  - the X11 libraries that Qt's xcb platform plugin links: PyInstaller can only put into the
#    bundle what the build machine has, and many desktops lack libxcb-icccm4, libxcb-keysyms1
#    or libxcb-cursor0 (the classic "could not load the Qt platform plugin xcb").
#  - the desktop libraries the bundle takes from the system (OpenGL, fontconfig, D-Bus, GLib),
#    so that the build can run it.
#  - Xvfb, to time the start-up and take a screenshot without a real display.
set -eu

packages="binutils libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0
libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0 libgl1 libegl1 libfontconfig1 libdbus-1-3 libglib2.0-0 xvfb"

missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -z "$missing" ]; then
    exit 0
fi
echo "install-build-deps.sh: installing$missing"
apt-get update -qq
# shellcheck disable=SC2086  # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
