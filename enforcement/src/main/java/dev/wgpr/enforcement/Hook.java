package dev.wgpr.enforcement;

/** The hooks enforce.bpf.c attaches to ({@code WGPR_HOOK_*}), with their program names. */
public enum Hook {
    CONNECT4("wgpr_connect4"),
    CONNECT6("wgpr_connect6"),
    SENDMSG4("wgpr_sendmsg4"),
    SENDMSG6("wgpr_sendmsg6");

    private final String program;

    Hook(String program) {
        this.program = program;
    }

    /** The C function (program) name in enforce.bpf.c. */
    public String program() {
        return program;
    }

    /** The pin name of this hook's link. */
    String pinName() {
        return "link_" + name().toLowerCase(java.util.Locale.ROOT);
    }

    static Hook ofNumber(int number) {
        Hook[] all = values();
        return number >= 1 && number <= all.length ? all[number - 1] : null;
    }
}
