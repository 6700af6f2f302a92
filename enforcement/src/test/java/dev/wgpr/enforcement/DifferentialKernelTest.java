package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Differential} at full size: ten random policies of ten thousand random cases each. */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class DifferentialKernelTest {
    static final int POLICIES = 10;
    static final int CASES_PER_POLICY = 10_000;

    @Test
    void theKernelDecidesLikeTheReferenceModelOnOneHundredThousandRandomCases(NetnsLab lab) throws Exception {
        long seed = Long.getLong("wgpr.differential.seed", System.nanoTime());
        Differential.Outcome outcome = Differential.run(lab, POLICIES, CASES_PER_POLICY, seed);
        System.out.println(outcome.summary(POLICIES));
        assertEquals(POLICIES * CASES_PER_POLICY, outcome.total());
        assertTrue(outcome.bothVerdictsWellRepresented(), "both verdicts well represented: " + outcome.denied());
        assertEquals(List.of(), outcome.mismatches().stream().limit(3).toList(), "seed " + seed);
    }
}
