package dev.wgpr.client.tray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgpr.client.TestPaths;
import dev.wgpr.common.linux.Libc;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.DBus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The tray in a real tray host: waybar's tray module (which is also the StatusNotifierWatcher) in headless
 * sway, on a session bus of the test's own. The test takes screenshots with grim before and after the tray
 * starts and finds the item's icon in the bar's tray corner (target/tray-waybar.png); then it opens the menu
 * with a virtual pointer and clicks Quit in it (target/tray-waybar-menu.png; docs/tray-waybar-menu.png is one). Killing waybar and starting it again: the item comes
 * back. sway will not run as root: as root the test runs sway, waybar and grim as nobody.
 */
class TrayInWaybarTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int WIDTH = 640;
    private static final int HEIGHT = 360;
    private static final int BAR = 30;
    private static final int BACKGROUND = 0xf0f0f0;

    private final List<Process> processes = new ArrayList<>();
    private Path directory;
    private Path runtime;
    private String address;
    private Process waybar;

    @AfterEach
    void stop() throws Exception {
        for (Process process : processes.reversed()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (directory != null) {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder())
                        .forEach(file -> file.toFile().delete());
            }
        }
    }

    private static boolean installed(String program) {
        return Files.isExecutable(Path.of("/usr/bin", program));
    }

    /** The command as the desktop user: nobody when the test runs as root (sway refuses root). */
    private List<String> asUser(List<String> command) {
        List<String> full = new ArrayList<>();
        if (Libc.geteuid() == 0) {
            full.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        full.addAll(List.of(
                "env",
                "-i",
                "HOME=" + runtime,
                "XDG_RUNTIME_DIR=" + runtime,
                "WAYLAND_DISPLAY=wayland-1",
                "DBUS_SESSION_BUS_ADDRESS=" + address,
                "PATH=/usr/bin:/bin",
                "WLR_BACKENDS=headless",
                "WLR_LIBINPUT_NO_DEVICES=1",
                "WLR_RENDERER=pixman"));
        full.addAll(command);
        return full;
    }

    private Process start(String name, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve(name + ".log").toFile())
                .start();
        processes.add(process);
        return process;
    }

    private void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder logs = new StringBuilder();
                try (Stream<Path> files = Files.list(directory)) {
                    for (Path log :
                            files.filter(f -> f.toString().endsWith(".log")).toList()) {
                        logs.append("\n--- ")
                                .append(log.getFileName())
                                .append('\n')
                                .append(Files.readString(log));
                    }
                }
                throw new AssertionError("timed out waiting for " + what + logs);
            }
            Thread.sleep(50);
        }
    }

    private BufferedImage screenshot(Path file) throws Exception {
        Path shot = runtime.resolve("shot.png");
        Files.deleteIfExists(shot);
        Process grim = new ProcessBuilder(asUser(List.of("grim", shot.toString())))
                .redirectErrorStream(true)
                .start();
        String out = new String(grim.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(grim.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, grim.exitValue(), out);
        Files.copy(shot, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return ImageIO.read(file.toFile());
    }

    /** Pixels in the bar's right end (where the tray is) that are not the bar's background. */
    private static int trayPixels(BufferedImage image) {
        int count = 0;
        for (int y = 0; y < BAR; y++) {
            for (int x = WIDTH - 60; x < WIDTH; x++) {
                if ((image.getRGB(x, y) & 0xffffff) != BACKGROUND) {
                    count++;
                }
            }
        }
        return count;
    }

    private boolean watcherOwned(DBusConnection client) {
        DBus dbus;
        try {
            dbus = client.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            return dbus.NameHasOwner(StatusNotifierWatcher.BUS_NAME);
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void waybarShowsTheItemAndShowsItAgainAfterARestart() throws Exception {
        assumeTrue(
                installed("sway") && installed("waybar") && installed("grim") && installed("dbus-daemon"),
                "sway, waybar, grim and dbus-daemon are not all installed (./dev.sh installs them)");
        directory = Files.createTempDirectory("wg-pr-tray-sway-");
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        runtime = directory.resolve("run");
        Files.createDirectory(runtime);
        if (Libc.geteuid() == 0) {
            Files.setOwner(
                    runtime,
                    runtime.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        }
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
        Path socket = directory.resolve("bus");
        Files.writeString(directory.resolve("bus.conf"), PrivateSessionBus.openConfig("session", socket));
        Files.writeString(
                directory.resolve("sway.conf"),
                "output HEADLESS-1 resolution " + WIDTH + "x" + HEIGHT + " bg #203040 solid_color\n");
        Files.writeString(directory.resolve("waybar.json"), """
                {"layer": "top", "position": "top", "height": %d, "modules-center": ["clock"], "modules-right": ["tray"],
                 "clock": {"format": "wg-pr tray in waybar"}, "tray": {"icon-size": 22, "spacing": 8}}
                """.formatted(BAR));
        Files.writeString(directory.resolve("waybar.css"), """
                * { font-family: "DejaVu Sans"; font-size: 13px; }
                window#waybar { background: #f0f0f0; color: #202020; }
                """);
        start(
                "dbus",
                List.of("dbus-daemon", "--config-file=" + directory.resolve("bus.conf"), "--nofork", "--nopidfile"));
        await("the bus", () -> Files.exists(socket));
        address = "unix:path=" + socket;
        start(
                "sway",
                asUser(List.of("sway", "-c", directory.resolve("sway.conf").toString())));
        await("sway", () -> Files.exists(runtime.resolve("wayland-1")));
        List<String> waybarCommand = asUser(List.of(
                "waybar",
                "-c",
                directory.resolve("waybar.json").toString(),
                "-s",
                directory.resolve("waybar.css").toString()));
        waybar = start("waybar", waybarCommand);
        try (DBusConnection client =
                DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
            await("waybar's watcher", () -> watcherOwned(client));
            Thread.sleep(1000); // the bar drawn
            Path target = Path.of("target");
            BufferedImage before = screenshot(target.resolve("tray-waybar-before.png"));
            assertEquals(0, trayPixels(before), "the tray corner is empty before the tray runs");

            StringWriter err = new StringWriter();
            FakeDaemon daemon = new FakeDaemon();
            Tray.Options options = new Tray.Options(address, List.of(), Duration.ofMillis(500), false)
                    .withIcons(TestPaths.repositoryRoot().resolve("packaging/icons"));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(
                    () -> Tray.run(options, daemon, new PrintWriter(err, true)),
                    runnable -> Thread.ofPlatform().daemon().start(runnable));
            Path shot = target.resolve("tray-waybar.png");
            await("the icon in waybar's tray", () -> {
                try {
                    return trayPixels(screenshot(shot)) > 20;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            // wg-pr's own icon, found through the item's IconThemePath: connected is green.
            await("the connected icon", () -> {
                try {
                    return colouredPixels(screenshot(shot), Menu.Icon.CONNECTED.argb) > 20;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });

            waybar.destroy();
            assertTrue(waybar.waitFor(10, TimeUnit.SECONDS));
            await("the bar gone", () -> {
                try {
                    return (screenshot(target.resolve("tray-waybar-gone.png")).getRGB(0, 0) & 0xffffff) != BACKGROUND;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            waybar = start("waybar-again", waybarCommand);
            await("the icon in the new waybar", () -> {
                try {
                    return trayPixels(screenshot(target.resolve("tray-waybar-again.png"))) > 20;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertTrue(!exit.isDone(), "the tray runs on: " + err);

            Optional<Path> pointer = virtualPointer();
            if (pointer.isEmpty()) {
                quit(client, exit, err); // no way to click here: Quit as GNOME's extension would ask
                return;
            }
            // A denial of this user's: in the menu, and the icon turns.
            daemon.denials.add(FakeDaemon.denial(1, "curl", "10.20.1.5", 443));
            await("the denied icon", () -> {
                try {
                    return colouredPixels(screenshot(target.resolve("tray-waybar-denied.png")), Menu.Icon.DENIED.argb)
                            > 20;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            Process clicker = new ProcessBuilder(asUser(List.of(pointer.get().toString())))
                    .redirectError(directory.resolve("pointer.log").toFile())
                    .start();
            processes.add(clicker);
            PrintWriter commands = new PrintWriter(clicker.getOutputStream(), true, StandardCharsets.UTF_8);
            BufferedReader answers =
                    new BufferedReader(new InputStreamReader(clicker.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", answers.readLine(), "the virtual pointer");
            // waybar's tray is at the bar's right end: the icon's middle.
            commands.println("move " + (WIDTH - 12) + " " + BAR / 2 + " " + WIDTH + " " + HEIGHT);
            commands.println("wait 300");
            commands.println("click left");
            commands.println("wait 1500");
            commands.println("move " + WIDTH / 2 + " " + (HEIGHT - 20) + " " + WIDTH + " " + HEIGHT); // off the icon
            commands.println("wait 500");
            for (int i = 0; i < 6; i++) {
                assertEquals("done", answers.readLine());
            }
            Path menuShot = target.resolve("tray-waybar-menu.png");
            BufferedImage menu = screenshot(menuShot);
            // The menu opens below the bar, light on the dark desktop: its lowest light row is its bottom.
            int x = WIDTH - 80;
            int bottom = -1;
            for (int y = BAR; y < HEIGHT; y++) {
                if (light(menu.getRGB(x, y))) {
                    bottom = y;
                }
            }
            assertTrue(bottom > BAR + 150, "no menu below the tray icon: see " + menuShot.toAbsolutePath());
            // Quit is the last item: click it, through waybar's menu (libdbusmenu asks the tray: Event clicked).
            commands.println("move " + x + " " + (bottom - 16) + " " + WIDTH + " " + HEIGHT);
            commands.println("wait 300");
            commands.println("click left");
            for (int i = 0; i < 3; i++) {
                assertEquals("done", answers.readLine());
            }
            assertEquals(0, exit.get(WAIT.toSeconds(), TimeUnit.SECONDS), "Quit clicked in waybar's menu: " + err);
            commands.close();
        }
    }

    /** Pixels in the bar's tray corner close to {@code argb}'s colour. */
    private static int colouredPixels(BufferedImage image, int argb) {
        int count = 0;
        for (int y = 0; y < BAR; y++) {
            for (int x = WIDTH - 60; x < WIDTH; x++) {
                int rgb = image.getRGB(x, y);
                int distance = Math.abs(((rgb >> 16) & 0xff) - ((argb >> 16) & 0xff))
                        + Math.abs(((rgb >> 8) & 0xff) - ((argb >> 8) & 0xff))
                        + Math.abs((rgb & 0xff) - (argb & 0xff));
                if (distance < 40) {
                    count++;
                }
            }
        }
        return count;
    }

    private static boolean light(int rgb) {
        return ((rgb >> 16) & 0xff) > 0xc0 && ((rgb >> 8) & 0xff) > 0xc0 && (rgb & 0xff) > 0xc0;
    }

    /**
     * The test's virtual pointer (src/test/resources/.../virtual-pointer.c), built here with wayland-scanner and
     * clang; empty where they or libwayland's headers are missing.
     */
    private Optional<Path> virtualPointer() throws Exception {
        if (!installed("wayland-scanner")
                || !installed("clang")
                || !Files.exists(Path.of("/usr/include/wayland-client.h"))) {
            return Optional.empty();
        }
        Path build = Files.createDirectories(directory.resolve("pointer"));
        Files.setPosixFilePermissions(build, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String resource : List.of("virtual-pointer.xml", "virtual-pointer.c")) {
            try (var in = TrayInWaybarTest.class.getResourceAsStream(resource)) {
                Files.copy(in, build.resolve(resource));
            }
        }
        Path binary = build.resolve("virtual-pointer");
        for (List<String> step : List.of(
                List.of("wayland-scanner", "client-header", "virtual-pointer.xml", "virtual-pointer-client.h"),
                List.of("wayland-scanner", "private-code", "virtual-pointer.xml", "virtual-pointer-protocol.c"),
                List.of(
                        "clang",
                        "-O1",
                        "-I.",
                        "-o",
                        binary.toString(),
                        "virtual-pointer.c",
                        "virtual-pointer-protocol.c",
                        "-lwayland-client"))) {
            Process process = new ProcessBuilder(step)
                    .directory(build.toFile())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), String.join(" ", step) + ":\n" + out);
        }
        return Optional.of(binary);
    }

    /** Chooses Quit in the item's menu, found through the bus and asked with gdbus; the tray exits 0. */
    private void quit(DBusConnection client, CompletableFuture<Integer> exit, StringWriter err) throws Exception {
        DBus dbus = client.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        String item = Arrays.stream(dbus.ListNames())
                .filter(name -> name.startsWith("org.kde.StatusNotifierItem-"))
                .findFirst()
                .orElseThrow();
        String layout = gdbus(item, "com.canonical.dbusmenu.GetLayout", "0", "-1", "[]");
        Matcher quit = Pattern.compile("\\((\\d+), \\{'label': <'Quit'>").matcher(layout);
        assertTrue(quit.find(), layout);
        gdbus(item, "com.canonical.dbusmenu.Event", quit.group(1), "clicked", "<int32 0>", "0");
        assertEquals(0, exit.get(WAIT.toSeconds(), TimeUnit.SECONDS), err.toString());
    }

    private String gdbus(String destination, String method, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                "gdbus",
                "call",
                "--address",
                address,
                "--dest",
                destination,
                "--object-path",
                TrayMenu.PATH,
                "--method",
                method,
                "--"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), out);
        return out;
    }
}
