"""Runs a script in a private mount and network namespace of its own: what `unshare --mount --net
--propagation private <python> <script> …` does, for a process forked from a zygote of the hub's
Python (tests/harness/hubZygote.ts), which cannot exec unshare without losing its preloaded
imports. Needs CAP_SYS_ADMIN: root, or the user namespace the zygote runs in where it is not
(`unshare --user --map-root-user`, tests/realhub/realHub.ts).

    python in_namespaces.py <script> [args…]"""
import ctypes
import os
import runpy
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter_private_namespaces():
    check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare(CLONE_NEWNS | CLONE_NEWNET)")
    # --propagation private: no mount made here reaches the host's namespace, nor one of its ours.
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


if __name__ == "__main__":
    enter_private_namespaces()
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    runpy.run_path(script, run_name="__main__")
