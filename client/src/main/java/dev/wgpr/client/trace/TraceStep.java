package dev.wgpr.client.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * The code that runs in the traced process before its program: Perl, as the launcher's last step is
 * (perl-base is Essential on Debian; no shell can call seccomp). It sets {@code no_new_privs} (required
 * for a filter without CAP_SYS_ADMIN, and kept by every descendant), installs {@link SeccompFilter} with
 * {@code SECCOMP_FILTER_FLAG_NEW_LISTENER} and stops itself: the tracer, its parent or the caller that
 * asked the daemon for it, takes the listener descriptor with {@code pidfd_getfd} while it is stopped and
 * then continues it. The listener is close-on-exec, so the program never holds it (it could answer its
 * own notifications). Nothing it does after the filter is installed is a call the filter notifies, so it
 * cannot wait for a tracer that does not yet listen.
 */
public final class TraceStep {
    /** Takes the filter (hex) from the front of {@code @ARGV}; then the rest of the script runs. */
    public static final String INSTALL = """
            {
                my $filter = pack("H*", shift @ARGV);
                if (syscall(157, 38, 1, 0, 0, 0) != 0) {
                    print STDERR "wg-pr trace: cannot set no_new_privs: $!\\n";
                    exit 126;
                }
                my $program = pack("S x6 p", length($filter) / 8, $filter);
                if (syscall(317, 1, 8, $program) < 0) {
                    print STDERR "wg-pr trace: cannot install the seccomp filter: $!\\n";
                    exit 126;
                }
                kill "STOP", $$;
            }
            """;

    /** After {@link #INSTALL} for a command of the caller's: exec with {@code PATH} lookup, as a shell would. */
    static final String EXEC = """
            exec { $ARGV[0] } @ARGV;
            print STDERR "wg-pr trace: cannot execute $ARGV[0]: $!\\n";
            exit($!{ENOENT} ? 127 : 126);
            """;

    static final String PERL = "/usr/bin/perl";

    private TraceStep() {}

    /** The command that runs {@code argv} (searched in {@code PATH}) traced. */
    static List<String> command(List<String> argv) {
        List<String> command = new ArrayList<>(List.of(PERL, "-e", INSTALL + EXEC, "--", SeccompFilter.hex()));
        command.addAll(argv);
        return command;
    }

    /**
     * The arguments that come before a program's own in {@code perl -e INSTALL+SCRIPT -- …}, for the
     * launcher: the filter.
     */
    public static String filterArgument() {
        return SeccompFilter.hex();
    }
}
