// The sockdiff cases. Each one exercises one kind of socket the preload must hand to the kernel
// untouched, and prints every observable result through Line.
#pragma once

namespace sockdiff {

void unix_stream_pair();
void unix_dgram_pair();
void unix_abstract_listener();
void unix_scm_rights();
void unix_across_fork();

void tcp_loopback_exchange();
void tcp_loopback_bulk();
void tcp_connect_refused();
void tcp_nonblocking_connect();
void tcp_poll_select_epoll();
void tcp_reset();
void tcp_across_fork();
void tcp_dup();

void udp_loopback();
void udp_connect_refused();

void ipv6_loopback();
void netlink_route();
void socket_argument_errors();
void sockopt_errors();

}  // namespace sockdiff
