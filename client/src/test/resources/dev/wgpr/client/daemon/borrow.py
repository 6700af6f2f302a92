#!/usr/bin/python3
# Tries the four ways a process may borrow another process's access, against PID, one line each:
#   VECTOR allowed|refused DETAIL
# ptrace-seize (PTRACE_SEIZE, then detach), proc-pid-mem (open /proc/PID/mem read-write, write one byte
# of the target's stack back unchanged), process-vm-writev (read one byte with process_vm_readv, write
# it back) and pidfd-getfd (the target's descriptor FD, default 0). Harmless to the target: what is
# written is what was there. Only the standard library (ctypes), so it runs on any Debian host.
import ctypes
import errno
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_PIDFD_OPEN, SYS_PIDFD_GETFD = 434, 438


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def refused(what, e):
    return "refused %s %s" % (what, errno.errorcode.get(e, str(e)))


def stack_address(pid):
    try:
        with open("/proc/%d/maps" % pid) as maps:
            for line in maps:
                if line.rstrip().endswith("[stack]"):
                    return int(line.split("-")[0], 16) + 4096 * 8
    except OSError:
        pass  # not ours to read: the access check below answers before the address matters
    return 4096


def ptrace_seize(pid):
    if libc.ptrace(0x4206, pid, None, None) != 0:  # PTRACE_SEIZE
        return refused("ptrace", ctypes.get_errno())
    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    return "allowed attached"


def proc_pid_mem(pid):
    try:
        fd = os.open("/proc/%d/mem" % pid, os.O_RDWR)
    except OSError as e:
        return refused("open", e.errno)
    try:
        address = stack_address(pid)
        os.pwrite(fd, os.pread(fd, 1, address), address)
        return "allowed wrote a byte"
    except OSError as e:
        return "allowed opened, write " + errno.errorcode.get(e.errno, str(e.errno))
    finally:
        os.close(fd)


def process_vm_writev(pid):
    buffer = ctypes.create_string_buffer(1)
    local = IoVec(ctypes.cast(buffer, ctypes.c_void_p), 1)
    remote = IoVec(stack_address(pid), 1)
    if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) != 1:
        return refused("process_vm_readv", ctypes.get_errno())
    if libc.process_vm_writev(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) != 1:
        return refused("process_vm_writev", ctypes.get_errno())
    return "allowed wrote a byte"


def pidfd_getfd(pid, target_fd):
    pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
    if pidfd < 0:
        return refused("pidfd_open", ctypes.get_errno())
    try:
        fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, target_fd, 0)
        if fd < 0:
            return refused("pidfd_getfd", ctypes.get_errno())
        os.close(fd)
        return "allowed took descriptor %d" % target_fd
    finally:
        os.close(pidfd)


def main():
    pid = int(sys.argv[1])
    target_fd = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    vectors = [
        ("ptrace-seize", lambda: ptrace_seize(pid)),
        ("proc-pid-mem", lambda: proc_pid_mem(pid)),
        ("process-vm-writev", lambda: process_vm_writev(pid)),
        ("pidfd-getfd", lambda: pidfd_getfd(pid, target_fd)),
    ]
    for name, vector in vectors:
        try:
            print(name, vector(), flush=True)
        except Exception as e:  # a vector that breaks is no success: say why
            print(name, "refused", type(e).__name__, e, flush=True)


main()
