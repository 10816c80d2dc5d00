/* sut_proto.h: the line protocol between a siploc worker and its SUT runner (siploc-sut),
 * spoken over a socketpair passed as --ctl-fd. One message per '\n'-terminated line,
 * fields separated by single spaces; no field but the last may contain a space.
 *
 * worker -> runner
 *   cfg <key> <value>          keys: dns_addr dns_port bind_addr caps t1 timer_b timer_f
 *                              ca workdir seed rate exec (before open; exec: the command
 *                              template of --sut exec:'...', the rest of the line)
 *   open                       -> opened <rc>
 *   req <id> <method> <uri> <body_len>
 *   cancel <id>
 *   ping <seq>                 -> pong <seq> <sut_realtime_ns>   (clock handshake)
 *   quit                       runner closes the adapter and exits 0
 * runner -> worker
 *   hello <abi> <caps> <name> <version...>   first line, after the adapter loaded
 *   opened <rc>                rc: 0 or -errno from the adapter's open()
 *   done <id> <status>         status: SIP final status or enum sut_error
 *   pong <seq> <ns>
 *   log <text...>              adapter diagnostics
 *   fatal <text...>            the runner cannot go on (bad adapter, bad line); it exits 2
 */
#ifndef SUT_PROTO_H
#define SUT_PROTO_H

#define SUT_PROTO_MAX_LINE 4096

#endif
