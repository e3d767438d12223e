#!/bin/sh
# Add digitpad to your applications menu, for you only (no root needed):
#   ./install.sh               a menu entry and icons under ~/.local/share, a `digitpad` command in ~/.local/bin
#   ./install.sh --uninstall   take them away again (this folder stays where it is)
# The menu entry starts the digitpad next to this script, so move the folder first, then install.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
sizes="16 24 32 48 64 128 256 512"

refresh_caches() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$data/applications/digitpad.desktop" "$data/icons/hicolor/scalable/apps/digitpad.svg"
    for size in $sizes; do
        rm -f "$data/icons/hicolor/${size}x${size}/apps/digitpad.png"
    done
    if [ -L "$bin/digitpad" ] && [ "$(readlink "$bin/digitpad")" = "$here/digitpad" ]; then
        rm -f "$bin/digitpad"
    fi
    refresh_caches
    echo "digitpad is no longer in the applications menu."
    exit 0
fi

case "$here" in  # characters a desktop entry's Exec line would need escaped
    *[\"\`\$\\%]*) echo "install.sh: move this folder to a path without \", \`, \$, \\ or % in it first" >&2; exit 1 ;;
esac

for size in $sizes; do
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    cp "$here/share/icons/hicolor/${size}x${size}/apps/digitpad.png" "$data/icons/hicolor/${size}x${size}/apps/"
done
mkdir -p "$data/icons/hicolor/scalable/apps" "$data/applications" "$bin"
cp "$here/share/icons/hicolor/scalable/apps/digitpad.svg" "$data/icons/hicolor/scalable/apps/"
# The menu entry names this very folder's executable, quoted as the desktop entry spec asks.
path=$(printf '%s' "$here/digitpad" | sed 's/[&|]/\\&/g')  # as sed's replacement text
sed -e "s|^Exec=.*|Exec=\"$path\"|" -e "s|^TryExec=.*|TryExec=$path|" \
    "$here/share/applications/digitpad.desktop" > "$data/applications/digitpad.desktop"
ln -sfn "$here/digitpad" "$bin/digitpad"
refresh_caches
echo "digitpad is in your applications menu; in a terminal, run: digitpad (from $bin)"
