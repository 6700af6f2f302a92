package dev.wgpr.client.lockdown;

import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.tunnel.device.TunDevice;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A process under exactly the daemon's lockdown: {@code stage1 INSTANCE OPS…} applies {@link
 * Lockdown#plan} of INSTANCE with {@link Lockdown#execLockedDown}, the daemon's own code path, and
 * execs this class again as {@code stage2 OPS…}, which tries each operation and prints {@code OP PATH:
 * ok} or {@code OP PATH: denied (errno)}. Operations: {@code read:PATH}, {@code write:PATH} (create),
 * {@code tun:NAME} (open /dev/net/tun and TUNSETIFF).
 */
public final class LockdownProbe {
    private LockdownProbe() {}

    public static void main(String[] args) throws Exception {
        List<String> ops = List.of(args).subList(args[0].equals("stage1") ? 2 : 1, args.length);
        if (args[0].equals("stage1")) {
            LockdownPlan plan = Lockdown.plan(new Instance(args[1]), List.of());
            List<String> next = new ArrayList<>(List.of("stage2"));
            next.addAll(ops);
            Lockdown.execLockedDown(
                    plan,
                    Lockdown.sameJvm(LockdownProbe.class.getName(), List.of("-XX:-UsePerfData"), next),
                    System.getenv());
            return;
        }
        for (String op : ops) {
            String kind = op.substring(0, op.indexOf(':'));
            String target = op.substring(op.indexOf(':') + 1);
            try {
                switch (kind) {
                    case "read" -> Libc.close(Libc.open(target, Libc.O_RDONLY | Libc.O_CLOEXEC));
                    case "write" -> Libc.close(Libc.open(target, Libc.O_RDWR | Libc.O_CLOEXEC | 0x40 /* O_CREAT */));
                    case "tun" -> {
                        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC);
                        try {
                            TunDevice.attach(fd, target);
                        } finally {
                            Libc.close(fd);
                        }
                    }
                    default -> throw new IllegalArgumentException(op);
                }
                System.out.println(op + ": ok");
            } catch (ErrnoException e) {
                System.out.println(op + ": denied (" + Libc.strerror(e.errno()) + ")");
            }
        }
        System.out.println("capabilities "
                + java.nio.file.Files.readAllLines(Path.of("/proc/self/status")).stream()
                        .filter(line -> line.startsWith("CapEff"))
                        .findFirst()
                        .orElseThrow());
    }
}
