#!/usr/bin/env bash
# Install the test tools of package.json (exactly as package-lock.json pins them) into a
# cache shared by every checkout on this machine, keyed by the two files' contents, and
# point ./node_modules at it. The packages (about 1,500, 1.5 GB, most of them the official
# asyncapi CLI's) are unpacked once per lockfile rather than once per clone; a checkout
# only reads them. $INFERRER_CACHE moves the cache (default ~/.cache/inferrer).
set -euo pipefail
cd "$(dirname "$0")/.."
key=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
root="${INFERRER_CACHE:-$HOME/.cache/inferrer}/npm"
dir="$root/$key"
if [ ! -f "$dir/node_modules/.installed" ]; then
    mkdir -p "$root"
    tmp=$(mktemp -d "$root/.partial.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cp package.json package-lock.json "$tmp/"
    echo "installing npm packages into $dir ..."
    (cd "$tmp" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
    touch "$tmp/node_modules/.installed"
    # Another checkout may have finished first: then keep its copy, which it may be using.
    if [ -f "$dir/node_modules/.installed" ]; then
        rm -rf "$tmp"
    else
        rm -rf "$dir"
        mv -T "$tmp" "$dir"
    fi
    trap - EXIT
fi
if [ -d node_modules ] && [ ! -L node_modules ]; then rm -rf node_modules; fi
ln -sfn "$dir/node_modules" node_modules
echo "node_modules -> $dir/node_modules"
