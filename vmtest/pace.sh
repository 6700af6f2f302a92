# Sourced by the VM tier's checks. How slowly this machine runs (as Pace does for wg-pr's own waits): a
# fixed piece of Python work over what it takes on an ordinary machine (0.25 s), at least 1, at most 20.
pace() {
  local started=$EPOCHREALTIME
  /usr/bin/python3 -c 'sum(range(2000000))'
  awk -v s="$started" -v e="$EPOCHREALTIME" 'BEGIN { f = int((e - s) / 0.25 + 0.999); print (f < 1 ? 1 : f > 20 ? 20 : f) }'
}
