# wg-pr run's waiter (RunWaiter.java): the JVM that sent the run request execs this once the app has
# started, so that a few MB of perl, not a JVM, wait beside the app for its whole life. It does what the
# JVM did: forwards SIGINT, SIGTERM and SIGHUP to the app through the daemon, relays the app's own
# terminal in raw mode when there is one, and exits with the app's status.
# Arguments: CONTROL_FD MASTER_FD (-1: no terminal) SIGNAL_LINE (the signal request, %d for the number)
# PENDING (what the JVM had read of the connection beyond the Started reply).
use strict;
use warnings;
use Config;
use POSIX ();

my %signal;
@signal{split ' ', $Config{sig_name}} = split ' ', $Config{sig_num};

my ($control_fd, $master_fd, $signal_line, $pending) = @ARGV;
$0 = 'wg-pr run';
open(my $control, '+<&=', $control_fd) or die "wg-pr run: the control connection: $!\n";
binmode $control;
my $terminal = $master_fd >= 0;
my $master;
if ($terminal) {
    open($master, '+<&=', $master_fd) or die "wg-pr run: the app's terminal: $!\n";
    binmode $master;
}

sub write_all {
    my ($handle, $data) = @_;
    while (length $data) {
        my $written = syswrite($handle, $data);
        if (!defined $written) {
            next if $!{EINTR};
            return 0;
        }
        substr($data, 0, $written) = '';
    }
    return 1;
}

$SIG{$_} = sub { write_all($control, sprintf($signal_line, $signal{$_[0]}) . "\n") } for qw(INT TERM HUP);

# TIOCGWINSZ and TIOCSWINSZ: the caller's window size onto the app's terminal, now and at each SIGWINCH.
sub copy_window_size {
    my $size = "\0" x 8;
    ioctl(STDIN, 0x5413, $size) and ioctl($master, 0x5414, $size);
}
my $saved;
if ($terminal) {
    $SIG{WINCH} = \&copy_window_size;
    copy_window_size();
    # Raw mode, as cfmakeraw(3): keys reach the app's terminal, whose line discipline does the rest.
    $saved = POSIX::Termios->new;
    if ($saved->getattr(0)) {
        my $raw = POSIX::Termios->new;
        $raw->getattr(0);
        $raw->setiflag($raw->getiflag & ~(POSIX::IGNBRK() | POSIX::BRKINT() | POSIX::PARMRK() | POSIX::ISTRIP()
            | POSIX::INLCR() | POSIX::IGNCR() | POSIX::ICRNL() | POSIX::IXON()));
        $raw->setoflag($raw->getoflag & ~POSIX::OPOST());
        $raw->setlflag($raw->getlflag & ~(POSIX::ECHO() | POSIX::ECHONL() | POSIX::ICANON() | POSIX::ISIG()
            | POSIX::IEXTEN()));
        $raw->setcflag(($raw->getcflag & ~(POSIX::CSIZE() | POSIX::PARENB())) | POSIX::CS8());
        $raw->setcc(POSIX::VMIN(), 1);
        $raw->setcc(POSIX::VTIME(), 0);
        $raw->setattr(0, POSIX::TCSADRAIN());
    } else {
        undef $saved;
    }
}
# The JVM blocked these before its exec, so none that came meanwhile was lost: they are delivered now.
POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new(@signal{qw(INT TERM HUP WINCH)}));

sub finish {
    my ($status, $message) = @_;
    if ($terminal) {
        # What the app wrote before it ended and nobody read yet.
        while (1) {
            my $ready = '';
            vec($ready, $master_fd, 1) = 1;
            last if select($ready, undef, undef, 0) <= 0;
            my $got = sysread($master, my $data, 16384);
            last if !$got;
            write_all(\*STDOUT, $data);
        }
        $saved->setattr(0, POSIX::TCSADRAIN()) if $saved;
    }
    print STDERR "wg-pr run: $message\n" if defined $message;
    POSIX::_exit($status);
}

my $buffer = $pending;
my ($input_open, $output_open) = ($terminal, $terminal);
while (1) {
    while ($buffer =~ s/\A([^\n]*)\n//) {
        my $line = $1;
        next unless $line =~ /"event":"exit"/;
        finish($1) if $line =~ /"status":(\d+)/;
        finish(128 + $1) if $line =~ /"signal":(\d+)/;
        finish(125, "the daemon sent an exit without a status: $line");
    }
    my $wanted = '';
    vec($wanted, $control_fd, 1) = 1;
    vec($wanted, $master_fd, 1) = 1 if $output_open;
    vec($wanted, 0, 1) = 1 if $input_open;
    my $ready = select(my $readable = $wanted, undef, undef, undef);
    next if $ready < 0 && $!{EINTR};
    finish(125, "lost the daemon: select: $!") if $ready < 0;
    if (vec($readable, $control_fd, 1)) {
        my $got = sysread($control, $buffer, 65536, length $buffer);
        if (!$got) {
            next if !defined $got && $!{EINTR};
            finish(125, 'lost the daemon: ' . (defined $got ? 'the other side closed the control connection' : $!));
        }
    }
    if ($output_open && vec($readable, $master_fd, 1)) {
        my $got = sysread($master, my $data, 16384);
        if (!$got) {
            # EIO: every process of the app closed its terminal
            $output_open = 0 unless !defined $got && $!{EINTR};
        } elsif (!write_all(\*STDOUT, $data)) {
            $output_open = 0;
        }
    }
    if ($input_open && vec($readable, 0, 1)) {
        my $got = sysread(STDIN, my $data, 16384);
        if (!$got) {
            $input_open = 0 unless !defined $got && $!{EINTR};
        } elsif (!write_all($master, $data)) {
            $input_open = 0;
        }
    }
}
