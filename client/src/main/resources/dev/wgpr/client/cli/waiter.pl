# The waiter of `wg-pr run` (see Waiter.java): once the daemon has started the app, the CLI's JVM execs
# perl with this script, which keeps what that JVM kept for the app's life in a few MiB: the control
# connection, the signals it forwards, the terminal relay, the exit status.
# Arguments: CONNECTION_FD TERMINAL_FD (-1: none) SAVED_TERMIOS_HEX BUFFERED_HEX BLOCKED CAUGHT SIGNAL=LINE...
# (BLOCKED: the numbers of the signals the JVM blocked for the exec, e.g. 1,2,15,28, unblocked once the
# handlers are in place; CAUGHT: the signals the JVM caught during the hand-over, e.g. TERM,INT, sent first;
# SIGNAL=LINE: send LINE to the daemon on each SIGNAL caught, e.g. INT={"v":1,"op":"signal",...})
# No module but strict: each costs milliseconds before the waiter is ready (POSIX alone about 19,
# warnings, Fcntl and Errno, which %! loads, about 3 each), so Waiter.java runs perl with -w, and the
# numbers are Linux's on x86-64, as the project's other system calls.
use strict;
my ($F_GETFL, $F_SETFL, $O_NONBLOCK, $EINTR) = (3, 4, 0x800, 4);
my ($SYS_rt_sigprocmask, $SIG_UNBLOCK) = (14, 1);

# What ps and top show instead of this script (perl also names the process after it).
$0 = 'wg-pr run (waiter)';

my ($conn_fd, $master_fd, $saved_hex, $buffered_hex, $blocked_by_jvm, $caught_by_jvm, @signal_lines) = @ARGV;
my %line_of = map { split /=/, $_, 2 } @signal_lines;
my ($TCSETS, $TIOCGWINSZ, $TIOCSWINSZ) = (0x5402, 0x5413, 0x5414);

# Nothing of the JVM's but what is passed on stays open.
opendir(my $fds, '/proc/self/fd') or die "wg-pr run: /proc/self/fd: $!\n";
my @inherited = grep { /^\d+$/ && $_ > 2 && $_ != $conn_fd && $_ != $master_fd } readdir $fds;
closedir $fds;
for my $fd (@inherited) { close_fd($fd) }

open(my $conn, '+<&=', $conn_fd) or die "wg-pr run: the control connection: $!\n";
my $master;
if ($master_fd >= 0) {
    open($master, '+<&=', $master_fd) or die "wg-pr run: the app's terminal: $!\n";
}
my $saved = pack('H*', $saved_hex);
my $buffered = pack('H*', $buffered_hex);

# Caught signals go to the app through the daemon, as the JVM's handlers sent them. Each handler also
# wakes the select below through a pipe: perl runs a handler between two of its steps, and one that
# ran after the loop looked at @caught but before select began would otherwise wait for the next event.
my @caught = split /,/, $caught_by_jvm;
# The app's terminal takes the caller's size at once: a SIGWINCH that came before the handler below was in
# place went to no one.
my $resized = $master ? 1 : 0;
pipe(my $wake_read, my $wake_write) or die "wg-pr run: a pipe: $!\n";
my $wake_flags = fcntl($wake_write, $F_GETFL, 0) or die "wg-pr run: F_GETFL: $!\n";
fcntl($wake_write, $F_SETFL, $wake_flags | $O_NONBLOCK) or die "wg-pr run: F_SETFL: $!\n";
my $wake_fd = fileno $wake_read;
$SIG{PIPE} = 'IGNORE';
for my $name (keys %line_of) {
    $SIG{$name} = sub { push @caught, $name; syswrite($wake_write, 'x') };
}
$SIG{WINCH} = sub { $resized = 1; syswrite($wake_write, 'x') } if $master;
# The JVM blocked these for the exec (Waiter.java): what came since was kept pending, and is handled now.
# (The kernel's sigset_t has signal N at bit N - 1.)
my $unblocked = 0;
$unblocked |= 1 << ($_ - 1) for split /,/, $blocked_by_jvm;
syscall($SYS_rt_sigprocmask, $SIG_UNBLOCK, pack('Q', $unblocked), 0, 8) == 0
    or die "wg-pr run: rt_sigprocmask: $!\n";

my ($from_caller, $from_app) = ($master ? 1 : 0, $master ? 1 : 0);
my $status;
while (1) {
    while ($buffered =~ s/^([^\n]*)\n//) {
        $status = exit_status($1);
        last if defined $status;
    }
    last if defined $status;
    while (@caught) {
        write_all($conn, $line_of{ shift @caught } . "\n");
    }
    if ($resized) {
        $resized = 0;
        my $size = "\0" x 8;
        ioctl(STDIN, $TIOCGWINSZ, $size) and ioctl($master, $TIOCSWINSZ, $size);
    }
    my $watched = '';
    vec($watched, $conn_fd, 1) = 1;
    vec($watched, $wake_fd, 1) = 1;
    vec($watched, 0, 1) = 1 if $from_caller;
    vec($watched, $master_fd, 1) = 1 if $from_app;
    my $ready = select(my $readable = $watched, undef, undef, undef);
    next if $ready < 0 && $! == $EINTR;
    die "wg-pr run: select: $!\n" if $ready < 0;
    sysread($wake_read, my $wakes, 4096) if vec($readable, $wake_fd, 1);
    if (vec($readable, $conn_fd, 1)) {
        my $read = sysread($conn, $buffered, 65536, length $buffered);
        next if !defined $read && $! == $EINTR;
        if (!$read) {
            restore();
            print STDERR "wg-pr run: lost the daemon: the other side closed the control connection\n";
            exit 125;
        }
    }
    $from_caller = copy(\*STDIN, $master) if $from_caller && vec($readable, 0, 1);
    $from_app = copy($master, \*STDOUT) if $from_app && vec($readable, $master_fd, 1);
}
# What the app wrote and nobody read yet.
while ($from_app) {
    my $waiting = '';
    vec($waiting, $master_fd, 1) = 1;
    my $ready = select(my $readable = $waiting, undef, undef, 0);
    next if $ready < 0 && $! == $EINTR;
    last if $ready <= 0;
    $from_app = copy($master, \*STDOUT);
}
restore();
exit $status;

# The status an exit event reports (the shell's number: 128 + a signal), undef for any other line.
sub exit_status {
    my ($line) = @_;
    return undef unless $line =~ /"event":"exit"/;
    return $1 if $line =~ /"status":(\d+)/;
    return 128 + $1 if $line =~ /"signal":(\d+)/;
    return undef;
}

# One read from $from written whole to $to: false once either end is gone.
sub copy {
    my ($from, $to) = @_;
    my $read = sysread($from, my $data, 16384);
    return 1 if !defined $read && $! == $EINTR;
    return 0 if !$read;
    return write_all($to, $data);
}

sub write_all {
    my ($to, $data) = @_;
    while (length $data) {
        my $written = syswrite($to, $data);
        if (!defined $written) {
            next if $! == $EINTR;
            return 0;
        }
        substr($data, 0, $written) = '';
    }
    return 1;
}

# The caller's terminal as it was before the JVM made it raw.
sub restore {
    ioctl(STDIN, $TCSETS, $saved) if $master;
}

sub close_fd {
    my ($fd) = @_;
    my $handle;
    close $handle if open($handle, '<&=', $fd);
}
