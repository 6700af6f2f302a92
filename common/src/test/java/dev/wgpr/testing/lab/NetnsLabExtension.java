package dev.wgpr.testing.lab;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands a test a fresh {@link NetnsLab} and closes it when the test is over, passed or failed.
 *
 * <pre>{@code
 * @RequiresNetns
 * @ExtendWith(NetnsLabExtension.class)
 * class TunnelTest {
 *     @Test
 *     void reachesTheServer(NetnsLab lab) {
 *         Topologies.Routed net = Topologies.routed(lab);
 *         assertTrue(net.client().ping(Topologies.Routed.SERVER_V4));
 *     }
 * }
 * }</pre>
 *
 * A lab asked for by a test method (or its {@code @BeforeEach}/{@code @AfterEach}) lives for that
 * test; one asked for by a {@code @BeforeAll} method lives for the class and is the one its tests
 * then receive. JUnit closes it through its extension store, after the {@code @AfterEach}/{@code
 * @AfterAll} methods have run.
 */
public final class NetnsLabExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(NetnsLabExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == NetnsLab.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // The store closes AutoCloseable values when its context ends, failed or not.
        return context.getStore(STORE).computeIfAbsent(NetnsLab.class, key -> NetnsLab.create(), NetnsLab.class);
    }
}
