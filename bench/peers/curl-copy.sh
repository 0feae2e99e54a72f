#!/bin/bash
# The byte-moving floor of a registry-to-registry copy: every blob of an image manifest streamed
# from one registry into another with curl, all at once, no verification, then the manifest.
# Plain HTTP only (the bench's registries on 127.0.0.1).
#   curl-copy.sh SRC_HOST/REPO:TAG DEST_HOST/REPO:TAG
set -euo pipefail
split() { # HOST/REPO:TAG -> "HOST REPO TAG"
  local host=${1%%/*} rest=${1#*/}
  printf '%s %s %s' "$host" "${rest%:*}" "${rest##*:}"
}
read -r src srepo tag <<<"$(split "$1")"
read -r dst drepo dtag <<<"$(split "$2")"
accept='application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json'
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
curl -fsS -H "Accept: $accept" -o "$manifest" "http://$src/v2/$srepo/manifests/$tag"
mtype=$(grep -o '"mediaType": *"[^"]*"' "$manifest" | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
pids=()
for digest in $(grep -o '"digest": *"sha256:[0-9a-f]*"' "$manifest" | sed 's/.*"\(sha256:[0-9a-f]*\)"$/\1/'); do
  (
    location=$(curl -fsS -X POST -D - -o /dev/null "http://$dst/v2/$drepo/blobs/uploads/" |
      tr -d '\r' | awk -F': ' 'tolower($1) == "location" { print $2 }')
    case $location in http*) ;; *) location="http://$dst$location" ;; esac
    case $location in *\?*) sep='&' ;; *) sep='?' ;; esac
    curl -fsS "http://$src/v2/$srepo/blobs/$digest" |
      curl -fsS -X PUT -H 'Content-Type: application/octet-stream' -T - -o /dev/null \
        "$location${sep}digest=$digest"
  ) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
curl -fsS -X PUT -H "Content-Type: $mtype" --data-binary "@$manifest" -o /dev/null \
  "http://$dst/v2/$drepo/manifests/$dtag"
