#!/bin/sh
# Makes fixtures/home-v2: a small home in format version 2 (keys by role, signed events) made by
# custody before operators signed documents with their own certificate (issue 14, item 2): one PDF
# signing identity for the home (signing/identity.enc, sealed with the evidence key every
# custodian's and designee's slot holds). A designee released three images and the receipt, signed
# with the home's certificate, is kept beside the home (fixtures/home-v2-documents/). Run once from
# the checkout of that release (commit a77844e, after `npm run build`); the output is committed.
# Passwords: asd "correct horse battery staple", rlee "designee password 1", audit1 "auditor password 1".
set -e
out=${1:-fixtures/home-v2}
docs=${2:-fixtures/home-v2-documents}
tmp=$(mktemp -d)
rm -rf "$out" "$docs"
export CUSTODY_HOME="$tmp/home" CUSTODY_USER=asd CUSTODY_PASSWORD_FILE="$tmp/asd.pw" NO_COLOR=1
printf 'correct horse battery staple\n' > "$tmp/asd.pw"
printf 'designee password 1\n' > "$tmp/rlee.pw"
printf 'auditor password 1\n' > "$tmp/audit1.pw"
c() { node bin/custody.js "$@"; }
rlee() { CUSTODY_USER=rlee CUSTODY_PASSWORD_FILE="$tmp/rlee.pw" node bin/custody.js "$@"; }
c init --agency 'City of Example' --title 'Custodian of Records' --name 'Dana Example' \
  --time-zone America/Los_Angeles --trained-on 2026-01-05 --course 'ALPR policy and law' --trainer 'Pat Trainer' >/dev/null
c operator add rlee --name 'Robin Lee' --role designee --new-password-file "$tmp/rlee.pw" >/dev/null
c operator train rlee --date 2026-02-01 --course 'ALPR policy' --trainer 'Pat Trainer' >/dev/null
c operator add audit1 --name 'Alex Auditor' --role auditor --new-password-file "$tmp/audit1.pw" >/dev/null
c operator train audit1 --date 2026-02-01 --course 'ALPR audit' --trainer 'Pat Trainer' >/dev/null
c camera add CAM-01 --location 'Main St & 3rd' --since 2026-10-01T00:00:00-07:00 >/dev/null
mkdir -p "$tmp/drive"
c drive enrol --source "$tmp/drive" --id D001 --label CAMDRIVE1 >/dev/null
c drive enrol --id D002 --label CAMDRIVE2 >/dev/null
c drive install D001 --camera CAM-01 --at 2026-11-01T08:00:00-08:00 >/dev/null
mkdir -p "$tmp/drive/DCIM/100CAM"
for i in 1 2 3; do cp "fixtures/demo-drive/DCIM/100CAM/IMG_000$i.JPG" "$tmp/drive/DCIM/100CAM/"; done
c swap --source "$tmp/drive" --camera CAM-01 --store-location 'safe, room 102' --replacement D002 >/dev/null
c agency add --id ECSO --name "Example County Sheriff's Office" --kind law-enforcement \
  --jurisdiction california-local --identifier CA0019900 --contact records@ecso.example >/dev/null
printf 'Request for ALPR images, case 26-001234.\n' > "$tmp/letter.txt"
rlee request new --agency ECSO --officer 'Sgt. Rita Alvarez' --badge 4417 --case 26-001234 \
  --purpose 'criminal investigation' --document "$tmp/letter.txt" --cameras CAM-01 \
  --from 2026-11-02 --to 2026-11-02 >/dev/null
rlee release --request REQ-2026-0001 --to "$tmp/export/REQ-2026-0001" >/dev/null
c verify >/dev/null
rm -f "$CUSTODY_HOME/lock"
mkdir -p "$(dirname "$out")" "$docs"
cp -r "$CUSTODY_HOME" "$out"
rm -f "$out"/ledger.enc.[0-9] # earlier generations: not needed, and 260 KB each
cp "$tmp/export/R-2026-0001.pdf" "$docs/"
rm -rf "$tmp"
echo "wrote $out and $docs"
