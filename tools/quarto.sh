#!/usr/bin/env bash
# Build Quarto for this project from ../shared/quarto (machines without the Quarto installer:
# build and CI machines), or say how to get it. Used by `make quarto` / `make test`.
#
#   tools/quarto.sh DIR KIT PYTHON     prints DIR/bin/quarto when Quarto is (or was) built
#
# DIR is reused when it already holds a built Quarto. The kit's typst shim ignores
# SOURCE_DATE_EPOCH, which the real typst CLI honours; the render engine relies on it for
# byte-identical PDFs, so the shim is taught it here.
set -euo pipefail
DIR=$1 KIT=$2 PY=$3
# The kit writes its version file with a trailing newline; Quarto puts the file's text into
# every HTML theme's SCSS as a string ("1.11.0<newline>"), which dart-sass refuses: every
# `--to html` render fails ("Theme file compilation failed"). A release's file has none.
# Applied on every call (idempotent), so an existing build is mended too.
strip_version() { local v=$DIR/quarto/src/resources/version; [[ -f $v ]] && printf '%s' "$(tr -d '[:space:]' <"$v")" >"$v"; return 0; }
if [[ -x $DIR/bin/quarto && -f $DIR/.kwh-built ]]; then
  strip_version
  echo "$DIR/bin/quarto"; exit 0
fi
if [[ ! -x $KIT/install.sh ]]; then
  echo "Quarto is not built here ($KIT not found). The Quarto engine and its tests need the quarto" >&2
  echo "CLI: conda env create -f environment.yml (conda-forge), or https://quarto.org/docs/get-started/." >&2
  echo "Without it, kwh close renders with the built-in engine." >&2
  exit 0
fi
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")   # the shim's #! line must be absolute
"$KIT/install.sh" "$DIR" "$PY" >/dev/null
SHIM=$DIR/rt/bin/tools/x86_64/typst
"$PY" - "$SHIM" <<'PY'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
anchor = "    if a.pdf_standard:"
patch = ('    import os\n    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():\n'
         '        kw["timestamp"] = int(os.environ["SOURCE_DATE_EPOCH"])\n')
if "SOURCE_DATE_EPOCH" not in text:
    if anchor not in text:
        sys.exit("tools/quarto.sh: unexpected typst shim, cannot add SOURCE_DATE_EPOCH")
    open(path, "w", encoding="utf-8").write(text.replace(anchor, patch + anchor, 1))
PY
strip_version
touch "$DIR/.kwh-built"
echo "$DIR/bin/quarto"
