"""The sides the workloads run on, all in one lab (scripts/lab.sh):

  kernel       L-host's own Linux stack on veth pkt0, with 10.78.0.2/24 added for the run
               and removed afterwards; peer L-peer eth1 10.78.0.1.
  shim-packet  the program under libustack.so, AF_PACKET on the same veth pkt0 (no kernel
               address on it), 10.78.0.2/24; peer 10.78.0.1. Same wire as `kernel`.
  shim-tap     the program under libustack.so on TAP tap0, bridged by br0 to veth brp,
               10.77.0.2/24; peer L-peer eth0 10.77.0.1. One bridge hop more than the others.
               TAP offloads on (the default): 64 KiB TCP segments, checksums left to the kernel.
  shim-tap-off the same with USTACK_OFFLOADS=off: MTU-sized frames, software checksums
               (iperf3 only: what the offloads change is bulk throughput).

The peer is always Linux in L-peer. The primary ratio is shim-packet/kernel (same veth);
shim-tap/shim-tap-off is what the TAP offloads gain."""

import os

from procs import quiet

TOPOLOGY_TEXT = __doc__


class Side:
    def __init__(self, name, lab, build, device=None, addr="10.78.0.2", peer="10.78.0.1", prefix=24, env=()):
        self.name = name
        self.lab = lab
        self.host_ns = f"{lab}-host"
        self.peer_ns = f"{lab}-peer"
        self.device = device           # None: the kernel stack
        self.addr = addr               # where the host-side program is reached
        self.peer = peer               # where the peer is reached
        self.prefix = prefix
        self.env = list(env)           # VARIABLE=VALUE for the shim, e.g. USTACK_OFFLOADS=off
        self.launcher = os.path.join(build, "bin", "ustack")

    @property
    def shim(self):
        return self.device is not None

    def host(self, cmd):
        """cmd as run in L-host on this side's stack."""
        wrap = ["ip", "netns", "exec", self.host_ns]
        if self.shim:
            if self.env:
                wrap += ["env"] + self.env
            wrap += [self.launcher, "run", "--device", self.device,
                     "--address", f"{self.addr}/{self.prefix}", "--"]
        return wrap + cmd

    def peer_cmd(self, cmd):
        return ["ip", "netns", "exec", self.peer_ns] + cmd

    def describe(self):
        if self.shim:
            env = f" ({' '.join(self.env)})" if self.env else ""
            return f"{self.name}: libustack.so on {self.device} {self.addr}/{self.prefix}{env}, peer {self.peer}"
        return f"{self.name}: Linux in {self.host_ns} on pkt0 {self.addr}/{self.prefix}, peer {self.peer}"


def make_sides(lab, build):
    return [
        Side("kernel", lab, build),
        Side("shim-packet", lab, build, device="packet:pkt0"),
        Side("shim-tap", lab, build, device="tap:tap0", addr="10.77.0.2", peer="10.77.0.1"),
        Side("shim-tap-off", lab, build, device="tap:tap0", addr="10.77.0.2", peer="10.77.0.1",
             env=["USTACK_OFFLOADS=off"]),
    ]


class Lab:
    """Switches pkt0 between the kernel (address on it) and the stack (no address)."""

    def __init__(self, lab):
        self.lab = lab
        self.host_ns = f"{lab}-host"
        self.peer_ns = f"{lab}-peer"
        self.kernel_addr = False

    def enter(self, side):
        want = not side.shim
        if want and not self.kernel_addr:
            quiet(["ip", "-n", self.host_ns, "addr", "add", "10.78.0.2/24", "dev", "pkt0"])
            self.kernel_addr = True
        elif not want and self.kernel_addr:
            self.release()
        # 10.78.0.2 moves between the kernel's MAC and the stack's: the peer must ask again.
        quiet(["ip", "-n", self.peer_ns, "neigh", "flush", "dev", "eth1"])
        quiet(["ip", "-n", self.peer_ns, "neigh", "flush", "dev", "eth0"])
        quiet(["ip", "-n", self.host_ns, "neigh", "flush", "dev", "pkt0"])

    def release(self):
        if self.kernel_addr:
            quiet(["ip", "-n", self.host_ns, "addr", "del", "10.78.0.2/24", "dev", "pkt0"])
            self.kernel_addr = False
