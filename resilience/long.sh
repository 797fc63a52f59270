#!/usr/bin/env bash
# The resilience suite's long form: the tests with -long (200 session clients for 60 s, more of
# every fault), then every fuzz target of the module for a fixed time each (go test -fuzz takes
# one target per run). Bounded: FUZZTIME per target (default 30s), the tests by -timeout.
#   resilience/long.sh            # FUZZTIME=30s
#   FUZZTIME=2m resilience/long.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}

go test -count=1 -timeout 20m -v -run . ./resilience -long 2>&1 | grep -E '^(---|ok|FAIL|PASS)|_test.go:[0-9]+: (load|idp down at start|idp slow|key rotation|upstream down|config replaced under load|tunnel failing|bad input):'

# Every Fuzz function in the module, found rather than listed, so a new target is run too.
failed=0
while IFS=: read -r file _ line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $name for $fuzztime"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg" 2>&1 | tail -3; then
    failed=1
  fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | sed 's|^\./||' | sort)
exit $failed
