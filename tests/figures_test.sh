#!/bin/sh
# The report's CSVs (docs/figures/NAME/results.csv, drawn into the figures of
# docs/weaker-chip-bigger-cluster.md) were made from the inputs now in the tree: every scenario and
# catalog file their run.json names has the SHA-256 it records. A change to any of them means
# `make figures` (and the report's numbers) must be redone; `make figures-check` reruns the
# scenarios and compares the CSVs byte for byte. Usage: figures_test.sh SOURCE_DIR
set -eu
src=$1
cd "$src"
status=0
found=0
for json in docs/figures/*/run.json; do
  found=1
  dir=$(dirname "$json")
  [ -f "$dir/results.csv" ] || { echo "$dir: no results.csv beside run.json" >&2; status=1; }
  # "path": "...", "sha256": "..." pairs; scenario paths are relative to the repository root, catalog
  # paths to models/ (the figures are made from the source tree's catalog).
  in_catalog=0
  grep -o '"catalog": {"dir"\|{"path": "[^"]*", "sha256": "[0-9a-f]*"}' "$json" | while IFS= read -r line; do
    case $line in
      '"catalog": {"dir"') in_catalog=1; continue ;;
    esac
    path=$(printf '%s' "$line" | sed 's/.*"path": "\([^"]*\)".*/\1/')
    want=$(printf '%s' "$line" | sed 's/.*"sha256": "\([0-9a-f]*\)".*/\1/')
    file=$path
    [ "$in_catalog" -eq 1 ] && file=models/$path
    if [ ! -f "$file" ]; then
      echo "$json: $file is gone: rerun make figures" >&2; exit 1
    fi
    have=$(sha256sum "$file" | cut -d' ' -f1)
    if [ "$have" != "$want" ]; then
      echo "$json: $file changed since the figures were made: rerun make figures and check the report's numbers" >&2; exit 1
    fi
  done || status=1
  # Every figure the report shows exists.
done
[ "$found" -eq 1 ] || { echo "no docs/figures/*/run.json" >&2; exit 1; }
for png in $(grep -o 'figures/[a-z_]*/[a-z_]*\.png' docs/weaker-chip-bigger-cluster.md | sort -u); do
  [ -f "docs/$png" ] || { echo "docs/weaker-chip-bigger-cluster.md shows docs/$png, which is missing" >&2; status=1; }
done
[ "$status" -eq 0 ] && echo "the report's CSVs match their inputs"
exit "$status"
