// The launcher's help texts.
#pragma once

#include <string_view>

namespace ustack::launcher {

inline constexpr std::string_view kMainUsage = R"(usage: ustack run [OPTIONS] [--] CMD [ARGS...]
       ustack lab up|down|status [NAME]
       ustack lab exec NAME host|peer -- CMD [ARGS...]
       ustack --help | ustack run --help

ustack is a user-space TCP/IP stack that unmodified Linux programs use through LD_PRELOAD.

Commands:
  run    run CMD with the stack preloaded and configured (see 'ustack run --help')
  lab    create, remove, inspect or enter the test lab: two network namespaces, NAME-host
         (where programs run under the stack) and NAME-peer (a Linux peer). NAME defaults
         to "ustack". Needs root. This runs the repository's scripts/lab.sh, found at
         ../../scripts/lab.sh from this binary's directory (build/bin/ustack -> scripts/lab.sh);
         'ustack lab --help' shows its usage.

Example:
  ustack lab up
  ip netns exec ustack-host build/bin/ustack run --device tap:tap0 --address 10.77.0.2/24 \
      -- curl http://10.77.0.1:8000/
  ustack lab down
)";

inline constexpr std::string_view kRunUsage = R"(usage: ustack run [OPTIONS] [--] CMD [ARGS...]

Runs CMD with the ustack library first in LD_PRELOAD and the USTACK_* variables set from the
options. An option overrides the same variable inherited from the environment; variables the
options do not name are passed on as they are.

Options:
  --device D      USTACK_DEVICE   the device the stack owns: tap:NAME, packet:IFACE or fd:N
  --address A     USTACK_ADDRESS  the stack's IPv4 address with prefix length, e.g. 10.77.0.2/24
  --gateway G     USTACK_GATEWAY  default gateway, e.g. 10.77.0.1 (optional)
  --mac M         USTACK_MAC      the stack's MAC address, e.g. 02:00:00:00:00:02 (optional)
  --pcap F        USTACK_PCAP     write every frame the stack sends or receives to pcap file F
                                  (optional)
  --log L         USTACK_LOG      error, warn, info or debug (default warn)
  --library PATH  preload PATH instead of the default library; the default is $USTACK_LIBRARY
                  if set, else ../lib/libustack.so from this binary's directory
                  (build/bin/ustack -> build/lib/libustack.so)
  -h, --help      print this help
Options may also be written --option=VALUE. Options end at '--' or at the first word that is
not an option.

Exit status: CMD's own (the launcher replaces itself with CMD); 2 for a usage or
configuration error or a missing library; 127 if CMD is not found; 126 if CMD cannot be run.

Example, in the lab's host namespace (see 'ustack --help'):
  ip netns exec ustack-host build/bin/ustack run --device tap:tap0 --address 10.77.0.2/24 \
      --pcap /tmp/run.pcap -- curl -sS http://10.77.0.1:8000/
)";

}  // namespace ustack::launcher
