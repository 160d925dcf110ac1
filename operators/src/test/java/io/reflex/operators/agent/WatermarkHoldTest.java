package io.reflex.operators.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WatermarkHoldTest {
    @Test
    void theWatermarkStaysBelowTheOldestHeldTriggerAndNeverGoesBack() {
        WatermarkHold h = new WatermarkHold();
        assertThat(h.advance()).as("no input yet").isEqualTo(WatermarkHold.UNCHANGED);
        h.input(100);
        assertThat(h.advance()).isEqualTo(100);
        assertThat(h.advance()).as("emitted once").isEqualTo(WatermarkHold.UNCHANGED);
        h.hold(150);
        h.hold(150);
        h.hold(180);
        h.input(200);
        assertThat(h.advance()).isEqualTo(149);
        h.release(150);
        assertThat(h.advance())
                .as("one of the two triggers at 150 is still held")
                .isEqualTo(WatermarkHold.UNCHANGED);
        h.release(150);
        assertThat(h.advance()).isEqualTo(179);
        h.hold(120); // a late trigger: the watermark does not go back
        assertThat(h.advance()).isEqualTo(WatermarkHold.UNCHANGED);
        h.release(120);
        h.release(180);
        assertThat(h.advance()).isEqualTo(200);
    }
}
