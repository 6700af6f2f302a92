# `wg-pr run` without a JVM: what RunCommand does up to the daemon's answer, then the waiter (waiter.pl) in
# this same process. The launchers start it in the JVM's place for `run` on x86-64, with the JVM's command
# line as its fallback: a JVM's start and its first foreign-function link cost `run` more than the daemon's
# whole launch, and every run paid them before the app could start.
# Arguments: WAITER_SCRIPT N JAVA_WORD_1 ... JAVA_WORD_N CLI_ARGUMENT...
# (JAVA_WORDS: the command that runs the CLI in a JVM, which gets the CLI's arguments after them.)
# Only the plain form is handled here, as FastPath recognises it: [--instance I] run --app A [--tunnel T]
# (options in either order) -- CMD ARG...; everything else, and whatever this script cannot say exactly as
# the JVM would (a variable, argument or directory that is not UTF-8), goes to the JVM, with the signals
# still blocked as the launcher blocked them.
# Messages, exit statuses and the request are RunCommand's, CommandFile's and TerminalRelay's; the numbers
# are Linux's on x86-64, as in waiter.pl. No module but strict, for waiter.pl's reason.
use strict;

# The launcher set PERL_BADLANG for this perl; the app gets the caller's.
if (exists $ENV{WG_PR_CALLER_PERL_BADLANG}) {
    $ENV{PERL_BADLANG} = delete $ENV{WG_PR_CALLER_PERL_BADLANG};
} else {
    delete $ENV{PERL_BADLANG};
}
my ($waiter, $java_words, @rest) = @ARGV;
my @java = splice(@rest, 0, $java_words);
my @cli = @rest;

my ($O_RDONLY, $O_RDWR, $O_NOCTTY, $O_NONBLOCK, $ENOENT, $ECONNREFUSED) = (0, 2, 0x100, 0x800, 2, 111);
my ($TCGETS, $TCSETS, $TIOCGWINSZ, $TIOCSWINSZ, $TIOCSPTLCK, $TIOCGPTN) =
    (0x5401, 0x5402, 0x5413, 0x5414, 0x40045431, 0x80045430);
my ($SYS_sendmsg, $MSG_NOSIGNAL, $SOL_SOCKET, $SCM_RIGHTS) = (46, 0x4000, 1, 1);
my ($EXIT_NOT_FOUND, $EXIT_REFUSED, $EXIT_NOT_STARTED) = (127, 126, 125);
# The kernel's struct termios (what TCSETS takes), as TerminalRelay keeps it for the waiter.
my $KERNEL_TERMIOS_SIZE = 36;

my ($instance, $app, $tunnel, @command) = plain_run(@cli) or in_the_jvm();
$instance = $ENV{WG_PR_INSTANCE} if !defined $instance && defined $ENV{WG_PR_INSTANCE} && $ENV{WG_PR_INSTANCE} ne '';
$instance = 'wg-pr' if !defined $instance;
in_the_jvm() if $instance !~ /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/; # the JVM's message for a bad name

my $cwd = readlink('/proc/self/cwd');
in_the_jvm() if !defined $cwd;
my $request = json_object(
    v => 1, op => '"run"', app => json_string($app), tunnel => defined $tunnel ? json_string($tunnel) : 'null',
    argv => '[' . join(',', map { json_string($_) } @command) . ']',
    cwd => json_string($cwd),
    env => '{' . join(',', map { json_string($_) . ':' . json_string($ENV{$_}) } sort keys %ENV) . '}');

my $command_file = open_command($command[0], defined $ENV{PATH} ? $ENV{PATH} : '');
my $socket_path = "/run/$instance/control.sock";
socket(my $conn, 1, 1, 0) or fail("cannot reach the daemon at $socket_path: $!", $EXIT_NOT_STARTED);
if (!connect($conn, pack('S Z*', 1, $socket_path))) {
    fail("no daemon runs for instance $instance; bring a tunnel up first (wg-pr up CONFIG)", $EXIT_NOT_STARTED)
        if $! == $ENOENT || $! == $ECONNREFUSED;
    fail("cannot reach the daemon at $socket_path: $!", $EXIT_NOT_STARTED);
}

# In a terminal the app gets one of its own, relayed to the caller's by the waiter, as TerminalRelay does.
my ($master, $slave, $saved);
if (-t STDIN && -t STDOUT) {
    ($master, $slave, $saved) = terminal_for_the_app();
}
my @stdio = $slave ? (fileno $slave, fileno $slave, -t STDERR ? fileno $slave : 2) : (0, 1, 2);
send_with_descriptors($conn, "$request\n", @stdio, fileno $command_file)
    or fail("lost the daemon: $!", $EXIT_NOT_STARTED);
close($command_file);
if ($slave) {
    close($slave);
    my $raw = raw($saved);
    ioctl(STDIN, $TCSETS, $raw) or fail("cannot put your terminal in raw mode: $!", $EXIT_NOT_STARTED);
}

my $buffered = '';
while ($buffered !~ /\n/) {
    my $read = sysread($conn, $buffered, 65536, length $buffered);
    if (!$read) {
        restore_terminal();
        fail('lost the daemon: ' . (defined $read ? 'the other side closed the control connection' : $!),
            $EXIT_NOT_STARTED);
    }
}
$buffered =~ s/^([^\n]*)\n//;
my $answer = $1;
if ($answer !~ /^\{"v":1,/) {
    restore_terminal();
    my ($version) = $answer =~ /^\{"v":(\d+)/;
    fail('lost the daemon: ' . (defined $version
            ? "the daemon speaks protocol version $version, this wg-pr 1; restart the daemon (wg-pr down, then up)"
            : "the daemon sent something this wg-pr cannot read: $answer"), $EXIT_NOT_STARTED);
}
if ($answer !~ /^\{"v":1,"ok":true[,}]/) {
    restore_terminal();
    my ($message) = $answer =~ /"message":("(?:[^"\\]|\\.)*")/;
    my ($status) = $answer =~ /"status":(\d+)/;
    fail(defined $message ? json_text($message) : "lost the daemon: the daemon sent something this wg-pr cannot read: $answer",
        defined $message ? (defined $status ? $status : $EXIT_REFUSED) : $EXIT_NOT_STARTED);
}

# The app runs: from here this process is the waiter, as a JVM's hand-over would make it. The signals the
# launcher blocked wait, pending, for its handlers.
@ARGV = (fileno $conn, $master ? fileno $master : -1, $master ? unpack('H*', $saved) : '', unpack('H*', $buffered),
    '1,2,15', '', map { "$_->[0]=" . json_object(v => 1, op => '"signal"', signal => $_->[1]) } (
        ['HUP', 1], ['INT', 2], ['TERM', 15]));
do $waiter;
die "wg-pr run: the waiter $waiter: " . ($@ || $!) . "\n";

# (INSTANCE or undef, APP, TUNNEL or undef, CMD...) of the plain form, or the empty list.
sub plain_run {
    my @words = @_;
    my ($instance, %options);
    if (@words && $words[0] =~ /^--instance(=(.*))?$/s) {
        $instance = defined $1 ? $2 : $words[1];
        splice(@words, 0, defined $1 ? 1 : 2);
        return () if !defined $instance || $instance eq '' || $instance =~ /^[-@]/;
    }
    return () if !@words || shift(@words) ne 'run';
    while (@words >= 2 && $words[0] =~ /^--(app|tunnel)$/ && !exists $options{$1}) {
        my ($name, $value) = ($1, $words[1]);
        return () if $value eq '' || $value =~ /^[-@]/;
        $options{$name} = $value;
        splice(@words, 0, 2);
    }
    return () if !defined $options{app} || @words < 2 || shift(@words) ne '--';
    return () if grep { $_ eq '' || /^@/ } @words; # picocli's reading of these is its own
    return ($instance, $options{app}, $options{tunnel}, @words);
}

# Runs the CLI in its JVM with the same arguments: what this script does not do itself.
sub in_the_jvm {
    exec { $java[0] } @java, @cli or fail("cannot run $java[0]: $!", $EXIT_NOT_STARTED);
}

sub fail {
    my ($message, $status) = @_;
    print STDERR "wg-pr run: $message\n";
    exit $status;
}

# The command opened as CommandFile opens it: found as a shell finds it, with the caller's rights.
sub open_command {
    my ($command, $path) = @_;
    fail('empty command', $EXIT_NOT_FOUND) if $command eq '' || $command =~ /\0/;
    my $file;
    if ($command =~ m{/}) {
        $file = $command;
    } else {
        for my $dir (split /:/, $path) {
            next if $dir !~ m{^/}; # an empty or relative entry would search wherever the caller happens to be
            my $candidate = $dir =~ m{/$} ? "$dir$command" : "$dir/$command";
            if (-f $candidate && -x _) {
                $file = $candidate;
                last;
            }
        }
        fail("$command: command not found in PATH $path", $EXIT_NOT_FOUND) if !defined $file;
    }
    sysopen(my $opened, $file, $O_RDONLY | $O_NOCTTY | $O_NONBLOCK)
        or fail("cannot run $file: no such file, or not one you may read", $! == $ENOENT ? $EXIT_NOT_FOUND : $EXIT_REFUSED);
    return $opened;
}

# A new terminal with the caller's settings and window size: (master, slave, the settings), or () when
# none can be had (the app then shares the caller's).
sub terminal_for_the_app {
    my ($settings, $size) = ("\0" x 64, "\0" x 8);
    ioctl(STDIN, $TCGETS, $settings) && ioctl(STDIN, $TIOCGWINSZ, $size) or return ();
    sysopen(my $master, '/dev/ptmx', $O_RDWR | $O_NOCTTY) or return ();
    my ($unlock, $number) = (pack('i', 0), "\0" x 4);
    ioctl($master, $TIOCSPTLCK, $unlock) && ioctl($master, $TIOCGPTN, $number) or return ();
    sysopen(my $slave, '/dev/pts/' . unpack('i', $number), $O_RDWR | $O_NOCTTY) or return ();
    ioctl($slave, $TCSETS, $settings) && ioctl($slave, $TIOCSWINSZ, $size) or return ();
    return ($master, $slave, substr($settings, 0, $KERNEL_TERMIOS_SIZE));
}

# glibc's cfmakeraw of kernel termios settings: no echo, no line editing, no signals from keys.
sub raw {
    my ($iflag, $oflag, $cflag, $lflag, $line, @cc) = unpack('L4 C C19', $_[0]);
    $iflag &= ~(0x1 | 0x2 | 0x8 | 0x20 | 0x40 | 0x80 | 0x100 | 0x400); # IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
    $oflag &= ~0x1;                                                    # OPOST
    $lflag &= ~(0x8 | 0x40 | 0x2 | 0x1 | 0x8000);                      # ECHO ECHONL ICANON ISIG IEXTEN
    $cflag = ($cflag & ~(0x30 | 0x100)) | 0x30;                        # CSIZE PARENB off, CS8
    ($cc[6], $cc[5]) = (1, 0);                                         # VMIN, VTIME
    return pack('L4 C C19', $iflag, $oflag, $cflag, $lflag, $line, @cc);
}

sub restore_terminal {
    ioctl(STDIN, $TCSETS, $saved) if $saved;
}

# sendmsg of all of $data with @fds (SCM_RIGHTS) along with its first byte.
sub send_with_descriptors {
    my ($socket, $data, @fds) = @_;
    my $control = pack('Q i i i*', 16 + 4 * @fds, $SOL_SOCKET, $SCM_RIGHTS, @fds);
    $control .= "\0" x (-length($control) % 8);
    my $iov = pack('P Q', $data, length $data);
    my $header = pack('Q L x4 P Q P Q i x4', 0, 0, $iov, 1, $control, length $control, 0);
    my $sent = syscall($SYS_sendmsg, fileno $socket, $header, $MSG_NOSIGNAL);
    return 0 if $sent < 0;
    while ($sent < length $data) {
        my $more = syswrite($socket, $data, length($data) - $sent, $sent);
        return 0 if !defined $more;
        $sent += $more;
    }
    return 1;
}

# One line of JSON from already written values, in the order given.
sub json_object {
    my @pairs = @_;
    my @fields;
    while (my ($name, $value) = splice(@pairs, 0, 2)) {
        push @fields, "\"$name\":$value";
    }
    return '{' . join(',', @fields) . '}';
}

# A JSON string of bytes that must be UTF-8, escaped as the JVM's writer escapes; to the JVM when not UTF-8.
sub json_string {
    my ($text) = @_;
    utf8::decode($text) or in_the_jvm();
    $text =~ s/(["\\])/\\$1/g;
    $text =~ s/([\x00-\x1f\x{2028}\x{2029}])/sprintf('\\u%04x', ord $1)/ge;
    utf8::encode($text);
    return "\"$text\"";
}

# The text of a JSON string (with its quotes), as UTF-8 bytes.
sub json_text {
    my ($json) = @_;
    $json = substr($json, 1, -1);
    utf8::decode($json);
    my %simple = ('"' => '"', '\\' => '\\', '/' => '/', b => "\b", f => "\f", n => "\n", r => "\r", t => "\t");
    $json =~ s/\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})/chr(0x10000 + ((hex($1) - 0xd800) << 10) + hex($2) - 0xdc00)/gie;
    $json =~ s/\\(?:u([0-9a-fA-F]{4})|(.))/defined $1 ? chr(hex $1) : $simple{$2}/ge;
    utf8::encode($json);
    return $json;
}
