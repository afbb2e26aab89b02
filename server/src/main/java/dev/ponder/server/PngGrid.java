package dev.ponder.server;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Writes square grayscale images (values in [-1, 1], row-major) as one PNG grid, each pixel scaled up. */
final class PngGrid {
  private PngGrid() {
  }

  static void write(List<float[]> images, int columns, int scale, Path file) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no images to write to " + file);
    }
    int side = (int) Math.round(Math.sqrt(images.get(0).length));
    if (side * side != images.get(0).length) {
      throw new IllegalArgumentException("images must be square, found " + images.get(0).length + " pixels");
    }
    int cols = Math.min(columns, images.size());
    int rows = (images.size() + cols - 1) / cols;
    int cell = side * scale + 2; // a 2-pixel gap between images
    BufferedImage img = new BufferedImage(cols * cell, rows * cell, BufferedImage.TYPE_BYTE_GRAY);
    for (int n = 0; n < images.size(); n++) {
      float[] x = images.get(n);
      int ox = (n % cols) * cell + 1;
      int oy = (n / cols) * cell + 1;
      for (int p = 0; p < x.length; p++) {
        int gray = (int) Math.round(Math.max(0, Math.min(1, (x[p] + 1) / 2)) * 255);
        int rgb = (gray << 16) | (gray << 8) | gray;
        for (int dy = 0; dy < scale; dy++) {
          for (int dx = 0; dx < scale; dx++) {
            img.setRGB(ox + (p % side) * scale + dx, oy + (p / side) * scale + dy, rgb);
          }
        }
      }
    }
    try {
      if (!ImageIO.write(img, "png", file.toFile())) {
        throw new IllegalStateException("no PNG writer available");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
