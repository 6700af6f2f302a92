package dev.wgpr.enforcement;

import dev.wgpr.testing.lab.NetnsLab;

/**
 * {@link Differential} at a size of the caller's choosing, outside JUnit: {@code DifferentialRun
 * POLICIES CASES_PER_POLICY [SEED]}. Prints the summary and the first mismatches; exits 0 when the
 * kernel decided like the model every time and both verdicts were well represented, else 1.
 */
final class DifferentialRun {
    private DifferentialRun() {}

    static void main(String[] args) throws Exception {
        int policies = Integer.parseInt(args[0]);
        int cases = Integer.parseInt(args[1]);
        long seed = args.length > 2 ? Long.parseLong(args[2]) : System.nanoTime();
        Differential.Outcome outcome;
        try (NetnsLab lab = NetnsLab.create()) {
            outcome = Differential.run(lab, policies, cases, seed);
        }
        System.out.println(outcome.summary(policies));
        outcome.mismatches().stream().limit(3).forEach(m -> System.out.println("mismatch: " + m));
        boolean ok = outcome.mismatches().isEmpty() && outcome.bothVerdictsWellRepresented();
        if (!ok && outcome.mismatches().isEmpty()) {
            System.out.println("one verdict dominates: " + outcome.denied() + " of " + outcome.total() + " denied");
        }
        System.exit(ok ? 0 : 1);
    }
}
