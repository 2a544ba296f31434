"""The workloads. Each run_once(side) runs one sample on one side and returns {metric: value},
or raises Failed with a short reason. Servers on the host side (nginx, redis, idle_conns) run
on the side's stack and are reached from the Linux peer; clients on the host side (iperf3,
sockperf) run on the side's stack against servers on the peer."""

import json
import os
import re
import subprocess

from procs import Failed, Server, run, quiet


class Metric:
    def __init__(self, key, label, unit, better, target=None):
        self.key, self.label, self.unit, self.better, self.target = key, label, unit, better, target


def cpu_busy_seconds():
    """Machine-wide CPU time not idle (all CPUs), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0
    return (sum(fields[:8]) - idle - steal) / os.sysconf("SC_CLK_TCK")


def meminfo_kib(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/meminfo has no {field}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failed(f"pid {pid} has no VmRSS")


def peer_listening(side, proto, port):
    """A kernel server on the peer is ready when ss shows its socket."""
    flag = "-Hltn" if proto == "tcp" else "-Hlun"
    out = quiet(side.peer_cmd(["ss", flag, f"sport = :{port}"]))
    return out.strip() != ""


def host_accepting(side, ctx, port):
    """A server on the side's stack is ready when the peer can connect to it."""
    r = quiet(side.peer_cmd(["python3", os.path.join(ctx.here, "probe.py"), side.addr, str(port), "0.2"]))
    return r.strip() == "open"


class Workload:
    name = ""
    metrics = []
    timeout_s = 30

    def __init__(self, ctx):
        self.ctx = ctx

    def finalize(self, samples):
        """samples: side name -> list of {metric: value}. Derived metrics are added here."""

    def runs_on(self, side):
        """TAP with its offloads off (shim-tap-off) is there to measure what the offloads gain:
        segmentation and checksums, i.e. bulk throughput. Only iperf3 runs on it."""
        return side.name != "shim-tap-off"



class Iperf(Workload):
    def __init__(self, ctx, down, streams):
        super().__init__(ctx)
        self.down, self.streams = down, streams
        way = "peer->host" if down else "host->peer"
        self.name = f"iperf3 {way} x{streams}"
        self.metrics = [Metric("gbps", "throughput", "Gbit/s", "higher", 1.0)]
        # --quick measures the offloads' gain on one workload: one stream host->peer, where TSO
        # acts (the README's on/off figure); the full run on all four.
        self.offloads_off = not ctx.quick or (not down and streams == 1)
        if streams == 1:
            self.metrics.append(Metric("cpu_s_per_gb", "CPU s/GB, both ends", "s/GB", "lower"))

    def runs_on(self, side):
        return side.name != "shim-tap-off" or self.offloads_off

    def run_once(self, side):
        t = self.ctx.dur["iperf"]
        srv = Server(side.peer_cmd(["iperf3", "-s", "-1", "-p", "5201"]), self.ctx.workdir, "iperf3-server")
        try:
            srv.wait_until(lambda: peer_listening(side, "tcp", 5201), 5, "listening")
            cmd = ["iperf3", "-c", side.peer, "-p", "5201", "-t", str(t), "-P", str(self.streams), "-J",
                   "--connect-timeout", "3000"]
            if self.down:
                cmd.append("-R")
            cpu0 = cpu_busy_seconds()
            out = run(side.host(cmd), t + 15, "iperf3")
            cpu = cpu_busy_seconds() - cpu0
        finally:
            srv.stop()
        try:
            j = json.loads(out[out.index("{"):])
        except ValueError:
            raise Failed("iperf3: no JSON result")
        if "error" in j:
            raise Failed(f"iperf3: {j['error']}")
        recv = j["end"]["sum_received"]
        if recv["bytes"] <= 0:
            raise Failed("iperf3: nothing received")
        r = {"gbps": recv["bits_per_second"] / 1e9}
        if self.streams == 1:
            r["cpu_s_per_gb"] = cpu / (recv["bytes"] / 1e9)
        return r


_PCT = re.compile(r"percentile\s+([\d.]+)\s*=\s*([\d.]+)")


def parse_sockperf(out):
    pct = {float(p): float(v) for p, v in _PCT.findall(out)}
    if 50.0 not in pct:
        raise Failed("sockperf: no percentiles in its output")
    return {"p50": pct[50.0], "p99": pct.get(99.0), "p999": pct.get(99.9)}


class SockperfPingPong(Workload):
    def __init__(self, ctx, proto, size, mps=None):
        super().__init__(ctx)
        self.proto, self.size, self.mps = proto, size, mps
        mode = f"under load {mps} msg/s" if mps else "ping-pong"
        self.name = f"sockperf {proto.upper()} {mode} {size} B"
        target = 1.0 if (proto == "tcp" and not mps) else None
        self.metrics = [Metric("p50", "RTT p50", "us", "lower", target),
                        Metric("p99", "RTT p99", "us", "lower"),
                        Metric("p999", "RTT p99.9", "us", "lower")]
        self.port = 11111 if proto == "tcp" else 11112

    def runs_on(self, side):
        # --quick: TAP's latency is measured at 64 B; each sockperf run costs 2 s of its own
        # fixed sleep (sockperf 3.7 sleeps 2 s after the warm-up), so the 1 KiB variants run
        # on TAP in the full run only.
        if self.ctx.quick and self.size > 64 and side.name == "shim-tap":
            return False
        return super().runs_on(side)

    def run_once(self, side):
        t = self.ctx.dur["sockperf"]
        tcp = ["--tcp"] if self.proto == "tcp" else []
        srv = Server(side.peer_cmd(["sockperf", "sr", *tcp, "-i", side.peer, "-p", str(self.port)]),
                     self.ctx.workdir, "sockperf-server")
        try:
            srv.wait_until(lambda: peer_listening(side, self.proto, self.port), 5, "listening")
            mode = ["ul", "--mps", str(self.mps)] if self.mps else ["pp"]
            out = run(side.host(["sockperf", *mode, *tcp, "-i", side.peer, "-p", str(self.port),
                                 "-m", str(self.size), "-t", str(t), "--full-rtt"]), t + 10, "sockperf")
        finally:
            srv.stop()
        return parse_sockperf(out)


class Nginx(Workload):
    def __init__(self, ctx, file_kib, close):
        super().__init__(ctx)
        self.file = f"{file_kib}k.bin"
        self.close = close
        if close:
            self.name = f"nginx+wrk Connection: close {file_kib} KiB"
            self.metrics = [Metric("rps", "connections/s", "conn/s", "higher", 1.0),
                            Metric("p99", "latency p99", "ms", "lower")]
        else:
            self.name = f"nginx+wrk keep-alive {file_kib} KiB"
            self.metrics = [Metric("rps", "requests/s", "req/s", "higher", 1.0),
                            Metric("p99", "latency p99", "ms", "lower")]

    def run_once(self, side):
        t = self.ctx.dur["wrk"]
        conf = self.ctx.nginx_conf
        srv = Server(side.host(["nginx", "-p", self.ctx.nginx_dir, "-c", conf, "-e", "stderr"]),
                     self.ctx.workdir, "nginx")
        try:
            srv.wait_until(lambda: host_accepting(side, self.ctx, 8080), 5, "accepting")
            cmd = ["wrk", "-t1", f"-c{self.ctx.wrk_conns}", f"-d{t}s", "--latency", "--timeout", "2s"]
            if self.close:
                cmd += ["-H", "Connection: close"]
            out = run(side.peer_cmd(cmd + [f"http://{side.addr}:8080/{self.file}"]), t + 15, "wrk")
            if not srv.alive():
                raise Failed(srv.why_dead())
        finally:
            srv.stop()
        return parse_wrk(out)


_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(out):
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    if not m or not done or int(done.group(1)) == 0:
        raise Failed("wrk: no requests completed")
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(done.group(1))
    bad = (int(non2xx.group(1)) if non2xx else 0)
    if errors:
        connect_err, _, write_err, timeouts = (int(x) for x in errors.groups())
        bad += connect_err + write_err + timeouts
    if bad > requests // 10:
        raise Failed(f"wrk: {bad} errors/timeouts for {requests} requests")
    return {"rps": float(m.group(1)),
            "p99": float(p99.group(1)) * _UNIT_MS[p99.group(2)] if p99 else None}


class Redis(Workload):
    def __init__(self, ctx, pipeline):
        super().__init__(ctx)
        self.pipeline = pipeline
        self.name = f"redis-benchmark SET/GET -P {pipeline}" if pipeline > 1 else "redis-benchmark SET/GET"
        self.metrics = [Metric("set", "SET", "req/s", "higher"), Metric("get", "GET", "req/s", "higher")]

    def run_once(self, side):
        n = self.ctx.redis_pipelined_n if self.pipeline > 1 else self.ctx.redis_n
        srv = Server(side.host(["redis-server", "--port", "6379", "--bind", "0.0.0.0", "--protected-mode", "no",
                                "--save", "", "--appendonly", "no", "--daemonize", "no",
                                "--dir", self.ctx.workdir, "--logfile", ""]),
                     self.ctx.workdir, "redis-server")
        try:
            srv.wait_until(lambda: host_accepting(side, self.ctx, 6379), 5, "accepting")
            out = run(side.peer_cmd(["redis-benchmark", "-h", side.addr, "-p", "6379", "-c", "50", "-n", str(n),
                                     "-P", str(self.pipeline), "-t", "set,get", "--csv"]), 60, "redis-benchmark")
            if not srv.alive():
                raise Failed(srv.why_dead())
        finally:
            srv.stop()
        r = {}
        for line in out.splitlines():
            cols = [c.strip('"') for c in line.split(",")]
            if len(cols) >= 2 and cols[0] in ("SET", "GET"):
                r[cols[0].lower()] = float(cols[1])
        if len(r) != 2 or min(r.values()) <= 0:
            raise Failed("redis-benchmark: no SET/GET results")
        return r


class IdleMemory(Workload):
    """RSS growth of a program holding N idle accepted connections, against the kernel's Slab
    growth. Slab is machine-wide and the peer's N client sockets are kernel sockets on both
    sides, so: kernel bytes/conn = (Slab delta / 2 + RSS delta) / N (the two ends of a kernel
    connection are alike); shim bytes/conn = (RSS delta + Slab delta - kernel Slab delta / 2) / N
    (the stack's memory plus the idle kernel socket each stack socket keeps at its fd)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.n = ctx.idle_n
        self.name = f"idle TCP connections x{self.n}"
        self.metrics = [Metric("bytes_per_conn", "memory per idle conn", "B", "lower", 1.0),
                        Metric("rss_per_conn", "  of it process RSS", "B", "lower"),
                        Metric("slab_per_conn", "  Slab growth (machine)", "B", "lower")]

    def runs_on(self, side):
        # --quick: the stack's memory per connection does not depend on the device (measured
        # the same to a few bytes on AF_PACKET and TAP), so TAP runs it in the full run only.
        if self.ctx.quick and side.name == "shim-tap":
            return False
        return super().runs_on(side)

    def run_once(self, side):
        exe = os.path.join(self.ctx.build, "bin", "idle_conns")
        slab0 = meminfo_kib("Slab")
        srv = Server(side.host([exe, "server", "7000"]), self.ctx.workdir, "idle-server")
        cli = None
        try:
            srv.wait_for_line(r"^ready$", 5)
            # The shim makes its stack at the first socket; give it its baseline too.
            rss0 = rss_kib(srv.pid)
            cli = Server(side.peer_cmd([exe, "client", side.addr, "7000", str(self.n)]), self.ctx.workdir,
                         "idle-client", stdin=subprocess.PIPE)
            cli.wait_for_line(rf"^connected {self.n}$", self.ctx.idle_timeout)
            srv.wait_for_line(rf"^accepted {self.n}$", 10)
            rss1 = rss_kib(srv.pid)
            slab1 = meminfo_kib("Slab")
        finally:
            if cli is not None:
                cli.proc.stdin.close()
                cli.stop()
            srv.stop()
        return {"rss_per_conn": (rss1 - rss0) * 1024 / self.n, "slab_per_conn": (slab1 - slab0) * 1024 / self.n}

    def finalize(self, samples):
        kernel_slab = sorted(s["slab_per_conn"] for s in samples.get("kernel", []))
        half = kernel_slab[len(kernel_slab) // 2] / 2 if kernel_slab else None
        for side, runs in samples.items():
            for s in runs:
                if side == "kernel":
                    s["bytes_per_conn"] = s["slab_per_conn"] / 2 + s["rss_per_conn"]
                elif half is not None:
                    s["bytes_per_conn"] = s["rss_per_conn"] + s["slab_per_conn"] - half


def all_workloads(ctx):
    w = []
    for down in (False, True):
        for streams in (1, 4):
            w.append(Iperf(ctx, down, streams))
    for proto in ("tcp", "udp"):
        for size in (64, 1024):
            w.append(SockperfPingPong(ctx, proto, size))
    w.append(SockperfPingPong(ctx, "tcp", 64, mps=ctx.load_mps))
    w.append(Nginx(ctx, 1, close=False))
    w.append(Nginx(ctx, 64, close=False))
    w.append(Nginx(ctx, 1, close=True))
    w.append(Redis(ctx, 1))
    w.append(Redis(ctx, 16))
    w.append(IdleMemory(ctx))
    return w
