package dev.ponder.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code ponder --version}: the project version, written into {@code version.properties} by the build. */
final class Version implements IVersionProvider {
  static final String RESOURCE = "version.properties";

  @Override
  public String[] getVersion() throws IOException {
    return new String[] {"ponder " + projectVersion()};
  }

  static String projectVersion() throws IOException {
    try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException("dev/ponder/server/" + RESOURCE + " is not on the class path (a build without its"
            + " filtered resources)");
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version");
      if (v == null || v.isBlank() || v.startsWith("${")) {
        throw new IOException(RESOURCE + " holds no project version, found '" + v + "'");
      }
      return v;
    }
  }
}
