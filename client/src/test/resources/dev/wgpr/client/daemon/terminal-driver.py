#!/usr/bin/python3
# Drives a command in a pseudo-terminal of its own, as a person at a terminal would: types, waits for
# what the screen shows, resizes the window. Usage: terminal-driver.py SECONDS STEPS_JSON -- COMMAND...
# STEPS_JSON is a list of ["send", TEXT], ["expect", REGEX], ["resize", ROWS, COLUMNS] or ["until", TEXT,
# REGEX] (sends TEXT again each second until REGEX shows: a window size reaches a program asynchronously,
# through SIGWINCH, as at any terminal). Each expect and until waits at most SECONDS. Prints the whole transcript, then "exit=N" (the command's exit status, or
# 128+N when a signal N ended it); exits 3 when an expectation was not met.
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

limit = float(sys.argv[1])
steps = json.loads(sys.argv[2])
command = sys.argv[sys.argv.index("--") + 1:]

def resize(fd, rows, columns):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

pid, fd = pty.fork()
if pid == 0:
    # As a terminal emulator starts a shell: every signal at its default, whatever this process inherited
    # (a job started in the background by a non-interactive shell ignores SIGINT and SIGQUIT).
    for number in range(1, signal.NSIG):
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    os.execvp(command[0], command)
resize(fd, 24, 80)
seen = b""
met = 0  # where the next expect starts looking

def read_some(timeout):
    global seen
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    if not data:
        return False
    seen += data
    return True

failed = None
for step in steps:
    if step[0] == "send":
        os.write(fd, step[1].encode())
    elif step[0] == "resize":
        resize(fd, step[1], step[2])
    elif step[0] == "until":
        pattern = re.compile(step[2].encode())
        deadline = time.monotonic() + limit
        while True:
            os.write(fd, step[1].encode())
            again = min(deadline, time.monotonic() + 1.0)
            match = None
            while time.monotonic() < again and read_some(again - time.monotonic()):
                match = pattern.search(seen, met)
                if match:
                    break
            if match:
                met = match.end()
                break
            if time.monotonic() > deadline:
                failed = step
                break
        if failed:
            break
    elif step[0] == "expect":
        pattern = re.compile(step[1].encode())
        deadline = time.monotonic() + limit
        while True:
            match = pattern.search(seen, met)
            if match:
                met = match.end()
                break
            if time.monotonic() > deadline or not read_some(max(0.0, deadline - time.monotonic())):
                failed = step
                break
        if failed:
            break

if failed is None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and read_some(deadline - time.monotonic()):
        pass  # until the command's side of the terminal closes
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
print()
print("exit=%d" % (os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)))
if failed:
    print("not met: %s" % json.dumps(failed))
    sys.exit(3)
