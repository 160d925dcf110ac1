package io.reflex.jobs;

import io.reflex.jobs.config.JobFile;
import io.reflex.jobs.config.JobFileParser;
import io.reflex.sandbox.EmbeddedKafka;
import io.reflex.sandbox.StubLlmServer;
import java.util.Map;

/** The ITCases' job files: {@code ${BOOTSTRAP}} is the broker and {@code ${LLM}} the stub. */
final class JobFiles {
    private JobFiles() {}

    static JobFile parse(String name, String yaml, EmbeddedKafka kafka, StubLlmServer stub)
            throws Exception {
        return new JobFileParser(
                        Map.of("BOOTSTRAP", kafka.bootstrapServers(), "LLM", stub.baseUrl()))
                .parse(name, yaml);
    }
}
