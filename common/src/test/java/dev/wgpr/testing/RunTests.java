package dev.wgpr.testing;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs test classes on the JUnit Platform without Maven, on a classpath the build wrote (the VM tier,
 * where starting Maven offline would cost minutes of emulation and might resolve the reactor's modules
 * from the local repository instead of this checkout). Tags are not filtered: root and netns tests run.
 * Prints the summary and every failure; exits 0 only when at least one test ran and none failed.
 *
 * <p>Usage: {@code java -cp CLASSPATH dev.wgpr.testing.RunTests CLASS...}
 */
public final class RunTests {
    private RunTests() {}

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: RunTests CLASS...");
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(
                        Arrays.stream(args).map(DiscoverySelectors::selectClass).toList())
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        summary.printFailuresTo(out, 40);
        summary.printTo(out);
        boolean passed = summary.getTestsSucceededCount() > 0
                && summary.getTotalFailureCount() == 0
                && summary.getTestsAbortedCount() == 0;
        out.println("RunTests: " + summary.getTestsSucceededCount() + " passed, " + summary.getTotalFailureCount()
                + " failed, " + summary.getTestsAbortedCount() + " aborted, " + summary.getTestsSkippedCount()
                + " skipped");
        System.exit(passed ? 0 : 1);
    }
}
