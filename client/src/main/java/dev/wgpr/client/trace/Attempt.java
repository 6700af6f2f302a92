package dev.wgpr.client.trace;

/**
 * One network call a traced process made, as the trace reports it.
 *
 * @param time when the call was announced, ISO-8601
 * @param pid the process (thread group); {@code tid} the thread that called
 * @param family {@code inet}, {@code inet6}, {@code unix} or the number
 * @param protocol {@code tcp}, {@code udp}, {@code raw}, … (the socket's), or empty when unknown
 * @param syscall as named, with {@code /i386} or {@code /x32} for a call through another ABI
 * @param destination where it goes (connect, sendto, sendmsg) or the local address (bind, listen, accept)
 * @param name for a DNS query, the name and type it asks ({@code db.corp.example. A}); for another
 *     destination, the name the program resolved it from where a wg-pr DNS forwarder relayed the answer
 *     ({@code db.corp.example.}, {@link DestinationNames}); else empty
 */
public record Attempt(
        String time,
        int pid,
        int tid,
        String comm,
        String syscall,
        String family,
        String protocol,
        String destination,
        String name,
        Verdict verdict) {}
