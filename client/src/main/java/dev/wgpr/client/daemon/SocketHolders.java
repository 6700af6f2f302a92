package dev.wgpr.client.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which program holds the local socket a refused inbound packet was for, so that the deny event names the
 * listener (issue 22). The kernel's event knows the socket's cgroup id, uid, protocol and local port, not its
 * process (the packet is judged in softirq); the daemon looks the rest up when it reads the event: the socket
 * inodes on that port from {@code /proc/self/net} (the daemon's network namespace, the tunnels'), the processes
 * of the cgroup, and which of them holds one of those inodes among its descriptors.
 *
 * <p>Best effort and bounded, since the drainer calls it on the event path: at most {@link #MAX_PROCESSES}
 * processes and {@link #BUDGET} per lookup, one lookup per cgroup, protocol and port in {@link #REMEMBERED}
 * (a flood of SYNs to one port costs one), and at most {@link #LOOKUPS_PER_SECOND} lookups a second (a scan of
 * many ports costs the drainer at most that many budgets a second; the events beyond go without the program). Empty when the listener is gone or nothing matched. A locked-down
 * daemon has no {@code CAP_SYS_PTRACE} and may not read the descriptors of a process with capabilities it lacks;
 * then the cgroup's only process of the socket's uid is named, if there is exactly one, and otherwise nothing.
 */
final class SocketHolders {
    static final int MAX_PROCESSES = 256;
    static final Duration BUDGET = Duration.ofMillis(100);
    static final Duration REMEMBERED = Duration.ofSeconds(1);
    static final int LOOKUPS_PER_SECOND = 2;
    /** How many cgroup directories a search for one id looks at, at most. */
    private static final int MAX_CGROUPS = 20_000;

    /** A process holding the socket: its pid and {@code /proc/PID/comm}. */
    record Holder(int pid, String comm) {}

    private record Key(long cgroupId, int ipProtocol, int localPort) {}

    private record Answer(long at, Optional<Holder> holder) {}

    private final Path cgroup2;
    private final Path proc;
    private final Duration budget;
    private final Map<Long, Path> cgroups = new LinkedHashMap<>();
    private final Map<Key, Answer> answers = new LinkedHashMap<>();
    /** When the current second of lookups started, and how many it had. */
    private long secondStart;

    private int lookups;

    SocketHolders(Path cgroup2) {
        this(cgroup2, BUDGET);
    }

    /** With {@code budget} per lookup instead of {@link #BUDGET}. */
    SocketHolders(Path cgroup2, Duration budget) {
        this.cgroup2 = cgroup2;
        this.proc = Path.of("/proc");
        this.budget = budget;
        this.secondStart = System.nanoTime() - Duration.ofSeconds(2).toNanos();
    }

    /**
     * The process of cgroup {@code cgroupId} that holds a socket of {@code ipProtocol} (6 TCP, 17 UDP, 136
     * UDP-Lite) on local port {@code localPort}, if one is found in time.
     */
    synchronized Optional<Holder> find(long cgroupId, long uid, int ipProtocol, int localPort) {
        long now = System.nanoTime();
        answers.values().removeIf(answer -> now - answer.at() > REMEMBERED.toNanos());
        Key key = new Key(cgroupId, ipProtocol, localPort);
        Answer known = answers.get(key);
        if (known != null) {
            return known.holder();
        }
        if (now - secondStart > Duration.ofSeconds(1).toNanos()) {
            secondStart = now;
            lookups = 0;
        }
        if (++lookups > LOOKUPS_PER_SECOND) {
            return Optional.empty();
        }
        Optional<Holder> holder;
        try {
            holder = lookUp(cgroupId, uid, ipProtocol, localPort, now + budget.toNanos());
        } catch (IOException | RuntimeException e) {
            holder = Optional.empty(); // best effort: the event goes on without the program
        }
        answers.put(key, new Answer(now, holder));
        return holder;
    }

    private Optional<Holder> lookUp(long cgroupId, long uid, int ipProtocol, int localPort, long deadline)
            throws IOException {
        Set<String> sockets = socketLinks(ipProtocol, localPort);
        Optional<Path> cgroup = cgroup(cgroupId);
        if (sockets.isEmpty() || cgroup.isEmpty()) {
            return Optional.empty();
        }
        List<Integer> ofTheUid = new ArrayList<>();
        boolean unreadable = false;
        for (int pid : processes(cgroup.get())) {
            if (System.nanoTime() > deadline) {
                return Optional.empty();
            }
            Path process = proc.resolve(Integer.toString(pid));
            try {
                if (holds(process.resolve("fd"), sockets, deadline)) {
                    return holder(pid);
                }
            } catch (AccessDeniedException e) {
                unreadable = true;
            } catch (IOException e) {
                continue; // gone
            }
            if (ownerOf(process) == uid) {
                ofTheUid.add(pid);
            }
        }
        return unreadable && ofTheUid.size() == 1 ? holder(ofTheUid.getFirst()) : Optional.empty();
    }

    /** {@code socket:[INODE]} of each socket on {@code localPort}, as the descriptors' links read. */
    private Set<String> socketLinks(int ipProtocol, int localPort) throws IOException {
        String table = switch (ipProtocol) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 136 -> "udplite";
            default -> null;
        };
        Set<String> links = new HashSet<>();
        if (table == null) {
            return links;
        }
        String port = ":%04X".formatted(localPort);
        for (String name : List.of(table, table + "6")) {
            Path file = proc.resolve("self/net/" + name);
            if (!Files.isReadable(file)) {
                continue;
            }
            try (BufferedReader lines = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
                lines.readLine(); // the header
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    String[] fields = line.strip().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    if (fields.length > 9 && fields[1].endsWith(port)) {
                        links.add("socket:[" + fields[9] + "]");
                    }
                }
            }
        }
        links.remove("socket:[0]"); // a socket being closed has no inode left
        return links;
    }

    /** The directory of the cgroup with id (its directory's inode) {@code cgroupId}, searched breadth first. */
    private Optional<Path> cgroup(long cgroupId) throws IOException {
        Path known = cgroups.get(cgroupId);
        if (known != null && Files.isDirectory(known)) {
            return Optional.of(known);
        }
        cgroups.remove(cgroupId);
        Deque<Path> next = new ArrayDeque<>(List.of(cgroup2));
        for (int seen = 0; !next.isEmpty() && seen < MAX_CGROUPS; seen++) {
            Path dir = next.removeFirst();
            try {
                if (((Number) Files.getAttribute(dir, "unix:ino")).longValue() == cgroupId) {
                    if (cgroups.size() >= 64) {
                        cgroups.remove(cgroups.keySet().iterator().next());
                    }
                    cgroups.put(cgroupId, dir);
                    return Optional.of(dir);
                }
                try (Stream<Path> children = Files.list(dir)) {
                    children.filter(Files::isDirectory).forEach(next::addLast);
                }
            } catch (IOException e) {
                // removed meanwhile, or not ours to read: look on
            }
        }
        return Optional.empty();
    }

    private List<Integer> processes(Path cgroup) throws IOException {
        try (Stream<String> lines = Files.lines(cgroup.resolve("cgroup.procs"))) {
            return lines.filter(line -> !line.isBlank())
                    .limit(MAX_PROCESSES)
                    .map(Integer::valueOf)
                    .toList();
        }
    }

    private boolean holds(Path descriptors, Set<String> sockets, long deadline) throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(descriptors)) {
            for (Path fd : fds) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    if (sockets.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (AccessDeniedException e) {
                    throw e; // listing the directory is allowed, reading its links needs ptrace access
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return false;
    }

    private static long ownerOf(Path process) {
        try {
            return ((Number) Files.getAttribute(process, "unix:uid")).longValue();
        } catch (IOException e) {
            return -1;
        }
    }

    private Optional<Holder> holder(int pid) {
        try {
            String comm = Files.readString(proc.resolve(pid + "/comm"), StandardCharsets.UTF_8)
                    .strip();
            return Optional.of(new Holder(pid, comm));
        } catch (IOException e) {
            return Optional.empty(); // gone
        }
    }
}
