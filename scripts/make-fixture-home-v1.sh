#!/bin/sh
# Makes fixtures/home-v1: a small home in format version 1 (one master key in every slot, checkpoints
# signed with the home's certificate, events unsigned), made by custody before issue 14's key split,
# so `custody upgrade` is tested on a real home of the previous release. Run once from the checkout
# of that release (commit bffbe8e); the output is committed. Passwords: asd "correct horse battery
# staple", rlee "designee password 1", audit1 "auditor password 1".
set -e
out=${1:-fixtures/home-v1}
tmp=$(mktemp -d)
rm -rf "$out"
export CUSTODY_HOME="$tmp/home" CUSTODY_USER=asd CUSTODY_PASSWORD_FILE="$tmp/asd.pw" NO_COLOR=1
printf 'correct horse battery staple\n' > "$tmp/asd.pw"
printf 'designee password 1\n' > "$tmp/rlee.pw"
printf 'auditor password 1\n' > "$tmp/audit1.pw"
c() { node bin/custody.js "$@"; }
c init --agency 'City of Example' --title 'Administrative Services Director' --name 'Dana Example' \
  --time-zone America/Los_Angeles --trained-on 2026-01-05 --course 'ALPR policy and law' --trainer 'Pat Trainer' >/dev/null
c operator add rlee --name 'Robin Lee' --role designee --new-password-file "$tmp/rlee.pw" >/dev/null
c operator train rlee --date 2026-02-01 --course 'ALPR policy' --trainer 'Pat Trainer' >/dev/null
c operator add audit1 --name 'Alex Auditor' --role auditor --new-password-file "$tmp/audit1.pw" >/dev/null
c operator train audit1 --date 2026-02-01 --course 'ALPR audit' --trainer 'Pat Trainer' >/dev/null
c camera add CAM-01 --location 'Main St & 3rd' >/dev/null
c verify >/dev/null
rm -f "$CUSTODY_HOME/lock"
mkdir -p "$(dirname "$out")"
cp -r "$CUSTODY_HOME" "$out"
rm -rf "$tmp"
echo "wrote $out"
