#!/usr/bin/env bash
# Builds jetway's Go test flights and the two examples into gzip-compressed
# WASI preview1 modules, reproducibly, and records what they were built from.
#
#   bash test/flights/build.sh          (from anywhere; Go: ${GO:-/usr/lib/go-1.24/bin/go})
#
# Outputs (all paths relative to the repository root):
#   test/flights/wasm/<name>.wasm.gz    every folder of test/flights holding a main.go
#   examples/pipeline/pipeline.wasm.gz  examples/app/app.wasm.gz
#   test/flights/wasm/SOURCES.json      see below
#
# Reproducibility: GOOS=wasip1 GOARCH=wasm go build -trimpath -buildvcs=false
# -ldflags=-buildid= with a pinned environment (GOFLAGS=-mod=mod GOPROXY=off
# GOTOOLCHAIN=local, no GOEXPERIMENT/GOWASM), then `gzip -n -9` (no name, no
# timestamp). The same Go version gives the same bytes.
#
# SOURCES.json:
#   { "go": "<go version, e.g. go1.24.4>",
#     "algorithm": "jetway-source-tree-v1",
#     "modules": { "<name>": {
#         "wasm": "<gzip path>", "moduleDir": "<dir holding go.mod>", "package": "./<pkg>",
#         "sha256": "<sha256 hex of the gzip-DECOMPRESSED module>",
#         "size": <decompressed bytes>, "gzipSize": <gzip bytes>,
#         "sourceDirs": ["<package dir>", ...], "goMods": ["<go.mod path>", ...],
#         "sourceSha256": "<source-tree hash, below>" } } }
#
# Source-tree hash (jetway-source-tree-v1), reimplemented in
# test/flights/sources.test.ts:
#   sourceDirs = the directories of every non-standard-library package the
#                main package depends on (itself included), as listed by
#                `go list -deps` for GOOS=wasip1 GOARCH=wasm;
#   goMods     = the go.mod of every module those packages belong to.
#   files      = goMods  +  every regular file directly inside a sourceDir
#                (not recursive) whose name ends in ".go" but not "_test.go"
#                (all build tags included).
#   Every path is relative to the repository root, "/"-separated.
#   Sort the paths by byte value (LC_ALL=C), then
#     sourceSha256 = lowercase hex sha256( for each path:  path "\0" content "\0" )
#   i.e. the path bytes, one NUL byte, the file's raw bytes, one NUL byte,
#   concatenated over all files in order.
set -euo pipefail

GO="${GO:-/usr/lib/go-1.24/bin/go}"
FLIGHTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FLIGHTS_DIR/../.." && pwd)"
OUT="$FLIGHTS_DIR/wasm"

export GOOS=wasip1 GOARCH=wasm GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOSUMDB=off CGO_ENABLED=0
unset GOEXPERIMENT GOWASM
export LC_ALL=C

GO_VERSION="$("$GO" env GOVERSION)"
case "$GO_VERSION" in
  go1.2[4-9]*|go1.[3-9][0-9]*) ;;
  *) echo "build.sh: need Go >= 1.24 (//go:wasmexport), got $GO_VERSION from $GO" >&2; exit 1 ;;
esac

mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

rel() { # absolute path -> path relative to the repository root
  local p
  p="$(realpath "$1")"
  printf '%s\n' "${p#"$ROOT"/}"
}

json_str() { # minimal JSON string quoting (paths here are plain ASCII)
  local s="${1//\\/\\\\}"
  printf '"%s"' "${s//\"/\\\"}"
}

json_list() {
  local first=1 item
  printf '['
  for item in "$@"; do
    [ $first = 1 ] || printf ', '
    first=0
    json_str "$item"
  done
  printf ']'
}

ENTRIES=()

# build NAME MODULE_DIR PACKAGE GZ_OUT
build() {
  local name="$1" moddir="$2" pkg="$3" gz="$4"
  local raw="$TMP/$name.wasm"
  (cd "$moddir" && "$GO" build -trimpath -buildvcs=false -ldflags=-buildid= -o "$raw" "$pkg")
  gzip -n -9 -c "$raw" > "$TMP/$name.wasm.gz"
  if ! cmp -s "$TMP/$name.wasm.gz" "$gz" 2>/dev/null; then
    cp "$TMP/$name.wasm.gz" "$gz"
  fi

  local dirs=() mods=() line d m
  while IFS=$'\t' read -r d m; do
    dirs+=("$(rel "$d")")
    mods+=("$(rel "$m/go.mod")")
  done < <(cd "$moddir" && "$GO" list -deps -f '{{if not .Standard}}{{.Dir}}{{"\t"}}{{.Module.Dir}}{{end}}' "$pkg")
  mapfile -t dirs < <(printf '%s\n' "${dirs[@]}" | sort -u)
  mapfile -t mods < <(printf '%s\n' "${mods[@]}" | sort -u)

  local files=()
  files+=("${mods[@]}")
  for d in "${dirs[@]}"; do
    for f in "$ROOT/$d"/*.go; do
      [ -f "$f" ] || continue
      case "$f" in *_test.go) continue ;; esac
      files+=("$d/$(basename "$f")")
    done
  done
  mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)

  local source_sha
  source_sha="$(cd "$ROOT" && for f in "${files[@]}"; do printf '%s\0' "$f"; cat -- "$f"; printf '\0'; done | sha256sum | cut -d' ' -f1)"
  local sha size gzsize
  sha="$(sha256sum < "$raw" | cut -d' ' -f1)"
  size="$(wc -c < "$raw" | tr -d ' ')"
  gzsize="$(wc -c < "$gz" | tr -d ' ')"

  ENTRIES+=("$(printf '    %s: {\n      "wasm": %s,\n      "moduleDir": %s,\n      "package": %s,\n      "sha256": "%s",\n      "size": %s,\n      "gzipSize": %s,\n      "sourceDirs": %s,\n      "goMods": %s,\n      "sourceSha256": "%s"\n    }' \
    "$(json_str "$name")" "$(json_str "$(rel "$gz")")" "$(json_str "$(rel "$moddir")")" "$(json_str "$pkg")" \
    "$sha" "$size" "$gzsize" "$(json_list "${dirs[@]}")" "$(json_list "${mods[@]}")" "$source_sha")")
  printf 'built %-14s %9s bytes (%s gzipped)  %s\n' "$name" "$size" "$gzsize" "$(rel "$gz")"
}

build pipeline "$ROOT/examples" ./pipeline "$ROOT/examples/pipeline/pipeline.wasm.gz"
build app      "$ROOT/examples" ./app      "$ROOT/examples/app/app.wasm.gz"

for dir in "$FLIGHTS_DIR"/*/; do
  name="$(basename "$dir")"
  [ -f "$dir/main.go" ] || continue
  build "$name" "$FLIGHTS_DIR" "./$name" "$OUT/$name.wasm.gz"
done

{
  printf '{\n  "go": %s,\n  "algorithm": "jetway-source-tree-v1",\n  "modules": {\n' "$(json_str "$GO_VERSION")"
  for i in "${!ENTRIES[@]}"; do
    [ "$i" = 0 ] || printf ',\n'
    printf '%s' "${ENTRIES[$i]}"
  done
  printf '\n  }\n}\n'
} > "$TMP/SOURCES.json"
if ! cmp -s "$TMP/SOURCES.json" "$OUT/SOURCES.json" 2>/dev/null; then
  cp "$TMP/SOURCES.json" "$OUT/SOURCES.json"
fi
echo "wrote $(rel "$OUT/SOURCES.json")"
