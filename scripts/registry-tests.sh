#!/usr/bin/env bash
# The registry tests with a real registry: installs Debian's docker-registry (CNCF Distribution 2.8),
# skopeo, openssl and apache2-utils (htpasswd) when missing, then runs the `registry::` suite with
# SBOMKIT_REQUIRE_REGISTRY=1, so that a missing program fails the tests instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for t in docker-registry:docker-registry skopeo:skopeo openssl:openssl htpasswd:apache2-utils; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
SBOMKIT_REQUIRE_REGISTRY=1 cargo test --locked --test integration registry::
