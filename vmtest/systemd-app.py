"""The programs of the VM tier's systemd check (vmtest/systemd.sh), one per mode:
  serve ADDR PORT             the internal host: answers every connection with one line
  app ADDR PORT HOME TMP S    an app as a desktop runs it: reads a file of its user's home, writes one in
                              /tmp, connects to its session bus and the internal host, then stays S seconds
  connect ADDR PORT S         connects to the internal host, then stays S seconds
Each prints what happened, a line per step, and the cgroup it ran in."""

import os
import socket
import sys
import time


def connect(addr, port):
    try:
        with socket.create_connection((addr, int(port)), timeout=20) as conn:
            return "connect ok " + conn.recv(100).decode().strip()
    except OSError as e:
        return "connect denied " + (e.strerror or type(e).__name__)


def cgroup():
    with open("/proc/self/cgroup") as f:
        return f"pid {os.getpid()} cgroup " + f.read().strip().removeprefix("0::")


def session_bus():
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not address.startswith("unix:path="):
        return "session bus none in the environment"
    try:
        with socket.socket(socket.AF_UNIX) as bus:
            bus.connect(address.removeprefix("unix:path="))
            return "session bus ok " + address
    except OSError as e:
        return "session bus refused " + (e.strerror or type(e).__name__)


def say(line):
    print(line, flush=True)


def main(mode, *args):
    if mode == "serve":
        server = socket.create_server((args[0], int(args[1])))
        while True:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"internal-host\n")
    elif mode == "app":
        addr, port, home, tmp, stay = args
        with open(home) as f:
            say("home read " + f.read().strip())
        with open(tmp, "w") as f:
            f.write("written by the app\n")
        say("tmp wrote " + tmp)
        say(session_bus())
        say(connect(addr, port))
        say(cgroup())
        time.sleep(float(stay))
    elif mode == "connect":
        addr, port, stay = args
        say(connect(addr, port))
        say(cgroup())
        time.sleep(float(stay))


if __name__ == "__main__":
    main(*sys.argv[1:])
