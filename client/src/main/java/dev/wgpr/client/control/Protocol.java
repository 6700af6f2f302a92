package dev.wgpr.client.control;

/**
 * The control protocol between the CLI and the daemon, over the instance's Unix stream socket: one
 * JSON object per line (UTF-8, {@code \n}-terminated), each carrying {@code "v": 1}. In Java the messages are
 * the records of {@link Request} and {@link Reply} (the status tree is {@link DaemonStatus}); {@link
 * ControlJson} turns them into these lines and back.
 *
 * <pre>
 * → {"v":1,"op":"ping"}                      ← {"v":1,"ok":true,"pid":123,"instance":"wg-pr"}
 * → {"v":1,"op":"status"}                    ← {"v":1,"ok":true,"schema":1,"instance":…,"daemon":{…},"tunnels":[…],…}
 * → {"v":1,"op":"status-text","verbose":false,"zone":"Europe/Berlin"}
 *                                            ← {"v":1,"ok":true,"text":"instance wg-pr: …\n…","backstopMissing":[]}
 *   (the same status as text, as `wg-pr status` prints it, with dates in the caller's zone: rendered where the
 *   status is, so that the CLI need not read the whole tree; a daemon that renders none answers bad-request)
 * → {"v":1,"op":"up","config":"/abs/path"}   ← {"v":1,"ok":true,"tunnel":"corp0"}            (root)
 * → {"v":1,"op":"down","tunnel":"corp0"}     ← {"v":1,"ok":true}                             (root)
 * → {"v":1,"op":"run","app":"ssh","tunnel":null,"argv":[…],"cwd":"/…","env":{…}}
 *     + SCM_RIGHTS [stdin, stdout, stderr]   ← {"v":1,"ok":true,"pid":4242}
 *   then, on the same connection:
 * → {"v":1,"op":"signal","signal":15}        (any number of times; forwarded to the app)
 *                                            ← {"v":1,"event":"exit","status":42}  or  {…,"signal":9}
 * → {"v":1,"op":"run",…,"detached":true}     ← {"v":1,"ok":true,"pid":4242}, then the daemon closes the
 *     + SCM_RIGHTS [stdin, stdout, stderr]      connection and the app runs on (run --detach, the tray)
 * → {"v":1,"op":"events","follow":false}     ← {"v":1,"ok":true,"events":[{…},…],"dropped":0,"suppressed":0}
 *   (root gets every event, anyone else those of their own processes)
 *   (events over a source's share are summarised: one event with "suppressed":N and "like")
 *   with "follow":true, then each new deny   ← {"v":1,"event":"deny","seq":7,"time":…,"pid":…,…}
 * → {"v":1,"op":"names","addresses":["10.20.0.10","fd10:20::10"]}
 *                                            ← {"v":1,"ok":true,"names":{"10.20.0.10":"db1.corp.example."}}
 *   (the names the DNS forwarders resolved these addresses from, while their answers' TTLs last; anyone
 *   who may ask status may ask, for at most 64 addresses at once: see docs/trace.md)
 * errors                                     ← {"v":1,"ok":false,"error":KIND,"message":"…"}
 * </pre>
 *
 * Error kinds: {@code permission}, {@code bad-request}, {@code bad-config}, {@code not-available},
 * {@code refused} (run: with {@code "status"} 126 or 127), {@code failed}, {@code busy} (the caller's
 * connections are over their limit: sent, without waiting, before the daemon closes the connection, maybe
 * before the caller's request). A request longer than {@link RequestReader#MAX_REQUEST} bytes, or not whole
 * within {@link RequestReader#REQUEST_TIMEOUT}, gets {@code bad-request} and the connection closes. A reply with another
 * {@code "v"} than the caller's is refused by the caller. The caller is identified by the kernel
 * ({@code SO_PEERCRED}), never by anything in a message.
 */
public final class Protocol {
    private Protocol() {}

    public static final int VERSION = 1;

    public static final String PING = "ping";
    public static final String STATUS = "status";
    public static final String STATUS_TEXT = "status-text";
    public static final String UP = "up";
    public static final String DOWN = "down";
    public static final String RELOAD = "reload";
    public static final String RUN = "run";
    public static final String SIGNAL = "signal";
    public static final String EVENTS = "events";
    public static final String NAMES = "names";

    /** A tunnel's {@code "backstop"} in the status reply: its device's guard as the kernel has it. */
    public static final String BACKSTOP_IN_FORCE = "in-force";

    public static final String BACKSTOP_MISSING = "missing";

    public static final String PERMISSION = "permission";
    public static final String BAD_REQUEST = "bad-request";
    public static final String BAD_CONFIG = "bad-config";
    public static final String NOT_AVAILABLE = "not-available";
    public static final String REFUSED = "refused";
    public static final String FAILED = "failed";
    /** An endpoint's name could not be resolved; nothing was changed, and trying again later may work. */
    public static final String UNRESOLVED = "unresolved";

    public static final String BUSY = "busy";
}
