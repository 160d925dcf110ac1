package io.reflex.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Tests for {@link TopicReader}'s consumer settings. */
class TopicReaderTest {

    @Test
    void aJobFilesClientPropertiesAreKeptButCannotUndoReadCommitted() {
        Properties p =
                TopicReader.readCommittedProperties(
                        "broker:9093",
                        Map.of(
                                "security.protocol", "SASL_SSL",
                                "sasl.mechanism", "SCRAM-SHA-512",
                                "isolation.level", "read_uncommitted",
                                "bootstrap.servers", "elsewhere:1"));
        assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(p.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(p.getProperty("isolation.level")).isEqualTo("read_committed");
        assertThat(p.getProperty("bootstrap.servers")).isEqualTo("broker:9093");
        assertThat(p.getProperty("enable.auto.commit")).isEqualTo("false");
    }
}
