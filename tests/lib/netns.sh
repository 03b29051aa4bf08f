# netns.sh — sourced by the namespace suites, the demo and the benchmarks:
# one way to remove the namespaces a run made. (nsenter, not 'ip netns
# exec', is how they enter them: that one also makes a private mount
# namespace, where ztd's pins would vanish with the process.)

# netns_remove NAME...: kills what runs in each namespace, then deletes it.
netns_remove() {
	local n
	for n in "$@"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	return 0
}
