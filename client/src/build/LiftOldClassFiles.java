import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Rewrites, inside a jar, every class file older than Java 6's format (major version 50) as a version 52
 * class file with the stack maps the split verifier needs, computed by the JDK's ClassFile API.
 *
 * <p>Why: JDK 25's ahead-of-time cache leaves out every class verified by the old verifier, and every
 * class whose supertypes include one (JDK-8317269, fixed in 26). picocli ships Java 5 class files, so
 * without this its 228 classes, and the commands that implement its interfaces, load and link from the jar
 * at each start of the CLI, which was the larger part of the time {@code wg-pr --version} took. The
 * bytecode is left as it is: only the version and the stack maps change, and the verifier then checks
 * what was checked before.
 *
 * <p>Usage: {@code java LiftOldClassFiles.java JAR} (a build step of the client module, after shade).
 */
public final class LiftOldClassFiles {

    private static final int FIRST_WITH_STACK_MAPS = ClassFile.JAVA_6_VERSION;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: LiftOldClassFiles JAR");
        }
        Path jar = Path.of(args[0]).toAbsolutePath();
        try (FileSystem zip = FileSystems.newFileSystem(jar);
                URLClassLoader jarClasses = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            // The stack maps merge types, so the class hierarchy must be known: the jar's own classes are
            // read from the jar, the JDK's from the running JDK.
            ClassFile classFile = ClassFile.of(
                    ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(jarClasses))
                            .cached()));
            List<Path> classes;
            try (var walk = Files.walk(zip.getPath("/"))) {
                classes = walk.filter(path -> path.toString().endsWith(".class")).toList();
            }
            int lifted = 0;
            for (Path path : classes) {
                byte[] bytes = Files.readAllBytes(path);
                int major = ((bytes[6] & 0xff) << 8) | (bytes[7] & 0xff);
                if (major >= FIRST_WITH_STACK_MAPS) {
                    continue;
                }
                ClassTransform liftVersion = (builder, element) -> {
                    if (element instanceof ClassFileVersion) {
                        builder.withVersion(ClassFile.JAVA_8_VERSION, 0);
                    } else {
                        builder.with(element);
                    }
                };
                // Every method body goes through the builder, which is what makes it compute stack maps:
                // one passed through whole would be copied as it is, without them.
                byte[] rewritten = classFile.transformClass(classFile.parse(bytes),
                        liftVersion.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)));
                Files.write(path, rewritten);
                lifted++;
            }
            System.out.printf("LiftOldClassFiles: %d of %d class files in %s lifted to version 52%n",
                    lifted, classes.size(), jar.getFileName());
        }
    }
}
