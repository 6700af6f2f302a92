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

# remove_instance INSTANCE: what a daemon of INSTANCE that did not stop in order (killed, or crashed while a
# build rewrote its jar) leaves behind by design, for the next daemon to take over: its pins (the links keep
# its programs attached at the cgroup2 root), its cgroups and its runtime directory. Call it after the
# daemon has ended.
remove_instance() {
  local cgroup2
  cgroup2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
  rm -rf "/run/$1" "/sys/fs/bpf/$1"
  if [ -d "$cgroup2/$1" ]; then
    find "$cgroup2/$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
  fi
  remove_daemon_leaf "$1"
}
