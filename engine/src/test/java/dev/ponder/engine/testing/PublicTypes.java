package dev.ponder.engine.testing;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The public types of a package (nested ones as {@code Outer.Inner}), for tests that pin a module's surface. */
public final class PublicTypes {
  private PublicTypes() {
  }

  /** Every type of {@code anchor}'s package that is visible outside it, by simple name, sorted. */
  public static TreeSet<String> of(Class<?> anchor) throws IOException, URISyntaxException, ClassNotFoundException {
    String pkg = anchor.getPackageName();
    Path dir = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve(pkg.replace('.', '/'));
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String simple = f.getFileName().toString().replace(".class", "");
        Class<?> c = Class.forName(pkg + "." + simple);
        boolean visible = Modifier.isPublic(c.getModifiers());
        for (Class<?> outer = c.getEnclosingClass(); outer != null && visible; outer = outer.getEnclosingClass()) {
          visible = Modifier.isPublic(outer.getModifiers());
        }
        if (visible && !c.isAnonymousClass()) {
          names.add(simple.replace('$', '.'));
        }
      }
    }
    return names;
  }
}
