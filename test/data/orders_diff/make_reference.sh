#!/usr/bin/env bash
# Record the reference transcripts of the differential test from crmscm
# 0.2.0, the last release with the statement-time reservation triggers
# (commit 309244c): builds it from git into a private stage and runs
# test/differential/orders.py against it for each seed.
#
#   test/data/orders_diff/make_reference.sh      (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
rev=${CRMSCM_DIFF_REV:-309244c}
tmp=$(mktemp -d /tmp/crmscm-diff.XXXXXX)
chmod 755 "$tmp"
trap 'git -C "$root" worktree remove --force "$tmp/src" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/src" "$rev"
eval "$(cd "$tmp/src" && CRMSCM_STAGE="$tmp/stage" tools/install.sh)"
export CRMSCM_PG_BINDIR
for seed in $(cat test/data/orders_diff/seeds); do
	tools/with-cluster.sh /usr/bin/python3 test/differential/orders.py "$seed" 400 \
		>"test/data/orders_diff/seed_$seed.out"
	echo "recorded seed $seed: $(grep -c ': ok$' "test/data/orders_diff/seed_$seed.out") operations succeeded"
done
