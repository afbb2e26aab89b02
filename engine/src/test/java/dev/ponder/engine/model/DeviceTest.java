package dev.ponder.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.model.ModelOptions.Device;
import org.junit.jupiter.api.Test;

class DeviceTest {

  @Test
  void deviceStringsAreParsedOrRejectedWithTheAllowedForms() {
    assertThat(Device.parse("cpu")).isEqualTo(new Device.Cpu());
    assertThat(Device.parse("cuda")).isEqualTo(new Device.Cuda(0));
    assertThat(Device.parse("CUDA:2")).isEqualTo(new Device.Cuda(2));
    assertThatThrownBy(() -> Device.parse("gpu")).hasMessageContaining("'cpu', 'cuda' or 'cuda:N'").hasMessageContaining("gpu");
    assertThatThrownBy(() -> Device.parse("cuda:x")).hasMessageContaining("bad CUDA index");
    assertThatThrownBy(() -> ModelOptions.cpu().withThreads(-1, 0)).hasMessageContaining("intraOpThreads must be >= 0");
  }
}
