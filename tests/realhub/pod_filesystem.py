"""The hub container's filesystem and network, made inside a private mount and network namespace
(`unshare --mount --net`, plus `--user --map-root-user` when not run as root; see
tests/realhub/realHub.ts). Nothing here touches the host: every directory the pod's mounts land
in gets a writable overlay whose upper layer is a scratch directory (and each volume mounted on a
whole directory a tmpfs over that), and the network namespace has only its own loopback device,
where every 127.0.0.0/8 address is ours.

This stands in for the kubelet and the container runtime, which live outside the hub process:
the files at their mount paths, /etc/hosts naming the Services and the stack's outside hosts
(cluster DNS and the LAN's DNS), and an up loopback interface.

The mounts are made with the mount(2) system call (through ctypes), with the arguments the
util-linux `mount -t <type> -o <options> <source> <target>` passed it for these (no flags, the
options as the data string): a `mount` process cost ~6 ms of CPU, and a real-hub run made a
few dozen."""
import ctypes
import fcntl
import os
import socket
import struct
from errno import EINVAL

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)


def mount(fstype, source, target, options):
    """`mount -t fstype -o options source target`; an OSError with the errno, naming all four, when
    it fails."""
    if _libc.mount(os.fsencode(source), os.fsencode(target), os.fsencode(fstype), 0, os.fsencode(options)) != 0:
        errno = ctypes.get_errno()
        # EINVAL is how the kernel refuses a bad option or a layer it cannot use; its reason goes
        # to the kernel log only, as mount(8) said ("dmesg(1) may have more information").
        hint = " (dmesg may have more information)" if errno == EINVAL else ""
        raise OSError(errno, f"mount -t {fstype} -o {options} {source} {target}: {os.strerror(errno)}{hint}")


def loopback_up():
    """`ip link set lo up`, without needing iproute2 (a new network namespace starts with lo down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def nearest_existing(path):
    while not os.path.isdir(path):
        path = os.path.dirname(path)
    return os.path.realpath(path)


def overlay_roots(paths):
    """The host directories to overlay so that every path can be created: the nearest existing
    ancestor of each, outermost first and without one nested in another."""
    roots = sorted({nearest_existing(os.path.dirname(p.rstrip("/")) or "/") for p in paths})
    kept = []
    for root in roots:
        if root == "/":
            raise RuntimeError(f"refusing to overlay / itself (for {paths})")
        if not any(root == k or root.startswith(k + "/") for k in kept):
            kept.append(root)
    return kept


def overlay(directory, scratch):
    """A writable copy-on-write view of `directory`; the host's copy is never written."""
    name = directory.strip("/").replace("/", "_")
    upper, work = os.path.join(scratch, name, "upper"), os.path.join(scratch, name, "work")
    os.makedirs(upper)
    os.makedirs(work)
    mount("overlay", "overlay", directory, f"lowerdir={directory},upperdir={upper},workdir={work}")


def lay_out(files, empty_dirs, hosts, scratch):
    """files: {path: {"content": str, "mode": int|None}}; empty_dirs: [path]; hosts: {name: address}."""
    paths = list(files) + [d + "/" for d in empty_dirs] + ["/etc/hosts"]
    for root in overlay_roots(paths):
        overlay(root, scratch)
    for directory in empty_dirs:
        os.makedirs(directory, exist_ok=True)
        # Each volume mounted on a whole directory (emptyDir, the database claim, a ConfigMap or
        # Secret) gets a tmpfs of its own, as the kubelet gives a Secret volume: the hub's sqlite
        # database lives on one (the chart's hub-db-dir claim), and on a disk every commit waited
        # for an fsync, most of a run's time. What the hub sees is the same.
        mount("tmpfs", "tmpfs", directory, "mode=0755")
    for path, spec in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(spec["content"])
        os.chmod(path, spec.get("mode") or 0o644)
    with open("/etc/hosts", "w", encoding="utf-8") as handle:
        handle.write("127.0.0.1 localhost\n")
        for name, address in sorted(hosts.items()):
            handle.write(f"{address} {name}\n")
    loopback_up()


def replace_files(before, after):
    """A new pod of the same Deployment: the files of `after` where those of `before` were (in the
    overlays and tmpfs mounts lay_out made), none of `before` that `after` does not have; empty
    dirs keep their contents, as the database volume does."""
    for path in set(before) - set(after):
        if os.path.exists(path):
            os.remove(path)
    for path, spec in after.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(spec["content"])
        os.chmod(path, spec.get("mode") or 0o644)
