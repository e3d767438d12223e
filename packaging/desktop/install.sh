#!/bin/sh
# Add digitpad to your applications menu, for you only (no root needed):
#   ./install.sh               a menu entry and icons under ~/.local/share, a `digitpad` command in ~/.local/bin
#   ./install.sh --uninstall   take them away again (this folder stays where it is)
# The menu entry starts the digitpad next to this script, so move the folder first, then install.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
# The icons this folder carries, as paths under share/icons/hicolor (e.g. 48x48/apps/digitpad.png).
icons=$(cd "$here/share/icons/hicolor" && find . -type f -name 'digitpad.*' | sed 's|^\./||')

refresh_caches() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$data/applications/digitpad.desktop"
    for icon in $icons; do
        rm -f "$data/icons/hicolor/$icon"
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

for icon in $icons; do
    mkdir -p "$data/icons/hicolor/$(dirname "$icon")"
    cp "$here/share/icons/hicolor/$icon" "$data/icons/hicolor/$icon"
done
mkdir -p "$data/applications" "$bin"
# The menu entry names this very folder's executable, quoted as the desktop entry spec asks; the
# file a person opens with digitpad (%f) follows it, as in the entry shipped.
path=$(printf '%s' "$here/digitpad" | sed 's/[&|]/\\&/g')  # as sed's replacement text
sed -e "s|^Exec=digitpad|Exec=\"$path\"|" -e "s|^TryExec=.*|TryExec=$path|" \
    "$here/share/applications/digitpad.desktop" > "$data/applications/digitpad.desktop"
ln -sfn "$here/digitpad" "$bin/digitpad"
refresh_caches
echo "digitpad is in your applications menu; in a terminal, run: digitpad (from $bin)"
