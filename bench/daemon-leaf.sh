# Sourced by the benchmarks that start daemons. A daemon outside a delegated systemd service runs in
# <cgroup2>/<instance>.daemon, which it cannot remove itself; its launch helper, there too, ends a moment
# after it. remove_daemon_leaf INSTANCE removes the leaf once it is empty (DaemonLeaf.removeOnceEmpty).
remove_daemon_leaf() {
  local leaf
  leaf=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)/$1.daemon
  [ -d "$leaf" ] || return 0
  for _ in $(seq 600); do
    if grep -q '^populated 0' "$leaf/cgroup.events"; then rmdir "$leaf"; return 0; fi
    sleep 0.1
  done
  echo "the daemon's cgroup leaf $leaf still holds: $(tr '\n' ' ' <"$leaf/cgroup.procs")" >&2
}
