"""Processes for scripts/bench: every one started here is remembered by pid and stopped by pid,
every wait is bounded, and readiness is checked, not slept for."""

import os
import re
import signal
import subprocess
import time


class Failed(Exception):
    """A workload could not run on one side; the message is the short reason for the table."""


_live = {}  # pid -> Popen, for stop_all() on the way out


def _status(rc):
    if rc is not None and rc < 0:
        try:
            return f"was killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"was killed by signal {-rc}"
    return f"exited {rc}"


def _short(text, limit=160):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    # ustack's own lines name the problem best; else the program's last line.
    for l in lines:
        if l.startswith("ustack:"):
            return l[:limit]
    return (lines[-1] if lines else "no output")[:limit]


class Server:
    """A long-running program with stdout and stderr in files under workdir."""

    def __init__(self, cmd, workdir, name, stdin=subprocess.DEVNULL):
        self.name = name
        self.out_path = os.path.join(workdir, f"{name}.out")
        self.err_path = os.path.join(workdir, f"{name}.err")
        self._out = open(self.out_path, "w")
        self._err = open(self.err_path, "w")
        self.cmd = cmd
        # A session of its own: signals to our terminal do not reach it, and stop() can take its
        # children too (by this pid's process group, never by name).
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=self._out, stderr=self._err,
                                     start_new_session=True)
        self.pid = self.proc.pid
        _live[self.pid] = self.proc

    def output(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def errors(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def why_dead(self):
        return f"{self.name} {_status(self.proc.returncode)}: {_short(self.errors() + self.output())}"

    def wait_for_line(self, pattern, timeout):
        """Polls stdout until a line matches; fails if the program exits or time runs out."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        delay = 0.002
        while time.monotonic() < deadline:
            if rx.search(self.output()):
                return
            if self.proc.poll() is not None:
                raise Failed(self.why_dead())
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        raise Failed(f"{self.name}: no '{pattern}' within {timeout:g} s: {_short(self.errors() + self.output())}")

    def wait_until(self, check, timeout, what):
        """Polls check() (True when ready); fails if the program exits or time runs out."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failed(self.why_dead())
            if check():
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        raise Failed(f"{self.name}: not {what} within {timeout:g} s: {_short(self.errors() + self.output())}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=3.0):
        """SIGTERM, then SIGKILL after `grace` seconds; by pid and its own process group."""
        if self.proc.poll() is None:
            _signal(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        # Anything it left behind in its process group (a forked worker) goes too.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _live.pop(self.pid, None)
        self._out.close()
        self._err.close()


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _kill_now(proc):
    _signal(proc.pid, signal.SIGKILL)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all():
    for pid, proc in list(_live.items()):
        if proc.poll() is None:
            _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    for pid, proc in list(_live.items()):
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(pid, signal.SIGKILL)
            proc.wait(timeout=5)
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _live.pop(pid, None)


def run(cmd, timeout, name):
    """Runs a client to completion. Returns stdout; raises Failed on timeout or non-zero exit."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, text=True,
                            errors="replace")
    _live[proc.pid] = proc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_now(proc)
        out, err = proc.communicate(timeout=5)
        _live.pop(proc.pid, None)
        raise Failed(f"{name}: timed out after {timeout:g} s: {_short(err + out)}")
    except BaseException:
        _kill_now(proc)  # interrupted: the client must not outlive us
        proc.wait(timeout=5)
        _live.pop(proc.pid, None)
        raise
    _live.pop(proc.pid, None)
    if proc.returncode != 0:
        raise Failed(f"{name} {_status(proc.returncode)}: {_short(err + out)}")
    return out


def quiet(cmd):
    """A setup command that must succeed (ip addr add, ...)."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {_short(r.stderr + r.stdout)}")
    return r.stdout
