// The launcher's help texts. ustack(1) says the same at more length.
#pragma once

#include <string_view>

namespace ustack::launcher {

inline constexpr std::string_view kMainUsage = R"(usage: ustack run [OPTIONS] [--] CMD [ARGS...]
       ustack lab up|down|status [NAME]
       ustack lab exec [NAME] host|peer -- CMD [ARGS...]
       ustack ss [-i] [-t] [-u] [-H] [PID]
       ustack stat [PID] [--interval SEC [--count N]]
       ustack capture [--duration SEC] PID FILE
       ustack --help | ustack COMMAND --help | ustack --version

ustack is a user-space TCP/IP stack that unmodified Linux programs use through LD_PRELOAD.

Commands:
  run      run CMD over the stack. With no --device it makes a private lab (needs root),
           runs CMD in it against a Linux peer at 10.77.0.1 that serves HTTP on port 80,
           and removes the lab when CMD exits:  ustack run -- curl http://10.77.0.1/
  lab      create, remove, inspect or enter the shared test lab (namespaces NAME-host and
           NAME-peer; NAME defaults to "ustack"; needs root)
  ss       list the sockets of running ustack processes, in 'ss -tuna' columns
  stat     show a process's stack counters and device counters, or their changes
  capture  record every frame of a running process's stack to a pcap file
See ustack(1) for the commands and exit statuses, ustack(7) for the environment variables
and the stats page.
)";

inline constexpr std::string_view kRunUsage = R"(usage: ustack run [OPTIONS] [--] CMD [ARGS...]

Runs CMD with the ustack library first in LD_PRELOAD and the USTACK_* variables set.
Options override --config FILE, which overrides the inherited environment.

Device:
  With neither --device nor USTACK_DEVICE, the launcher (as root) makes a private lab:
  namespaces ur<PID>-host and ur<PID>-peer, CMD in the host one on tap:tap0 as 10.77.0.2/24,
  the Linux peer at 10.77.0.1 serving HTTP on port 80. The lab goes when CMD exits.
  With tap:NAME the launcher opens the TAP itself and passes it as USTACK_DEVICE=fd:N, so
  CMD needs no CAP_NET_ADMIN. Before running CMD it checks that the interface exists, that
  it may be opened, that no kernel interface here holds the address, and (ARP probe, RFC
  5227, 0.4 s) that no other host on the link answers for it.

Options:
  --device D      USTACK_DEVICE     tap:NAME, packet:IFACE or fd:N
  --address A     USTACK_ADDRESS    IPv4 address with prefix length, e.g. 10.77.0.2/24
  --gateway G     USTACK_GATEWAY    default gateway, e.g. 10.77.0.1 (optional)
  --mac M         USTACK_MAC        the stack's MAC, e.g. 02:00:00:00:00:02 (optional)
  --pcap F        USTACK_PCAP       write every frame to pcap file F (optional)
  --offloads O    USTACK_OFFLOADS   on (default) or off: TAP checksum offload and 64 KiB
                                    TCP segments (TSO, GRO); off sends MTU-sized frames
  --log L         USTACK_LOG        error, warn, info or debug (default warn)
  --log-file F    USTACK_LOG_FILE   append log lines to file F instead of stderr
  --busy-poll US  USTACK_BUSY_POLL  microseconds a blocked call drives the stack before it
                                    sleeps (0-1000000; default 0, never spin)
  --config FILE   read VARIABLE=VALUE lines (USTACK_* variables, '#' comments) from FILE
  --no-arp-probe  skip the start-up ARP probe
  --library PATH  preload PATH; default $USTACK_LIBRARY, else ../lib/libustack.so from this
                  binary's directory (build/bin/ustack -> build/lib/libustack.so)
  -h, --help      print this help
Options may also be written --option=VALUE. Options end at '--' or at the first word that is
not an option.

Exit status: CMD's own (128+N if CMD died of signal N), or
   2  usage error, or an invalid USTACK_* value
  10  the --config file cannot be read or has a line that is not VARIABLE=VALUE
  11  the device exists but cannot be opened (permission, or busy)
  12  no such interface in this network namespace
  13  the kernel already has the address on an interface in this namespace
  14  another host answered ARP for the address
  15  the preload library was not found
  16  the embedded lab could not be made (not root, or lab.sh missing)
 126  CMD cannot be run;  127  CMD not found

Examples:
  ustack run -- curl http://10.77.0.1/
  ip netns exec ustack-host ustack run --device tap:tap0 --address 10.77.0.2/24 \
      --pcap /tmp/run.pcap -- curl -sS http://10.77.0.1:8000/
)";

inline constexpr std::string_view kLabUsage = R"(usage: ustack lab up [NAME]       create lab NAME (default "ustack")
       ustack lab down [NAME]     remove it (also a partial one)
       ustack lab status [NAME]   show its interfaces; exit 1 if incomplete
       ustack lab exec [NAME] host|peer -- CMD [ARGS...]
                                  run CMD in NAME-host or NAME-peer

The lab is two network namespaces: NAME-host, where programs run under the stack (tap0 and
veth brp bridged on br0; veth pkt0 with no address), and NAME-peer, a Linux peer (eth0
10.77.0.1/24 behind tap0, eth1 10.78.0.1/24 behind pkt0). Needs root. This runs lab.sh,
installed in share/ustack/ (or scripts/lab.sh of the source tree for a build tree).
Example:
  ustack lab up
  ustack lab exec peer -- python3 -m http.server 8000 &
  ustack lab exec host -- ustack run --device tap:tap0 --address 10.77.0.2/24 \
      -- curl http://10.77.0.1:8000/
  ustack lab down
)";

inline constexpr std::string_view kSsUsage = R"(usage: ustack ss [-i] [-t] [-u] [-H] [PID]

Lists the sockets of running ustack processes (all of them, or PID's) in the columns of
'ss -tuna': Netid, State, Recv-Q, Send-Q, Local Address:Port, Peer Address:Port, Process.
For LISTEN sockets Recv-Q is the number of connections waiting for accept() and Send-Q
the backlog. The data is at most 0.2 s old (the stats page, ustack(7)).
  -i   add a line of TCP internals under each TCP socket, like 'ss -ti': congestion
       control, rto, rtt/rttvar (ms), mss, cwnd and ssthresh (segments), send window and
       backoff (retransmission timeouts not yet recovered)
  -t   TCP only;  -u  UDP only;  -H  no header;  -n, -a  accepted and ignored
Exit status: 0; 20 if PID is not a running ustack process; 2 for a usage error.
)";

inline constexpr std::string_view kStatUsage = R"(usage: ustack stat [PID] [--interval SEC [--count N]]

Prints the stack counters of a running ustack process (PID may be omitted when only one
runs), like 'netstat -s': value, description and counter name, then the device's own
counters (frames received, sent and dropped) and the number of sockets.
  -i, --interval SEC  then every SEC seconds print the counters that changed, as
                      differences ('nstat' style), until interrupted
  -c, --count N       stop after N intervals
Exit status: 0; 20 if there is no such ustack process; 2 for a usage error.
)";

inline constexpr std::string_view kCaptureUsage = R"(usage: ustack capture [--duration SEC] PID FILE

Asks running ustack process PID to write every frame its stack receives or sends to FILE,
a pcap file (Ethernet) that tcpdump -r reads, until Ctrl-C, SIGTERM or --duration SEC.
The process itself opens FILE, so FILE must be writable by the process's user; it is
created mode 0600. If this command dies, the process stops recording within 3 s.
Only one capture per process at a time. Recording costs the process one write per burst.
Exit status: 0; 20 if PID is not a running ustack process; 21 if the process could not
start recording (the line says why); 2 for a usage error.
)";

}  // namespace ustack::launcher
