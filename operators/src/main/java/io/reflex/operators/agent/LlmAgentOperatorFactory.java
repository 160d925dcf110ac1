package io.reflex.operators.agent;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.journal.JournalFactory;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.llm.LlmClientFactory;
import io.reflex.operators.llm.LlmClients;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.Trigger;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.util.OutputTag;

/**
 * Creates the {@link LlmAgentOperator} with the task's mailbox executor (from the operator
 * parameters), which it needs to take answers back on the task thread and to yield at capacity. Use
 * it on a keyed stream:
 *
 * <pre>{@code
 * DataStreamUtils.reinterpretAsKeyedStream(triggers, Trigger::key)
 *     .transform("LLM agent", TypeInformation.of(Action.class), factory)
 *     .uid("llm-agent");
 * }</pre>
 */
public class LlmAgentOperatorFactory extends AbstractStreamOperatorFactory<Action>
        implements OneInputStreamOperatorFactory<Trigger, Action> {
    private static final long serialVersionUID = 1L;

    private final String job;
    private final LlmOptions llm;
    private final AgentOptions agent;
    private final ActionCatalogue catalogue;
    private final LlmClientFactory clientFactory;
    private final OutputTag<DeadLetter> deadLetters;
    private JournalOptions journalOptions;
    private JournalFactory journalFactory;
    private BudgetOptions budget;
    private AgentOutputs outputs = AgentOutputs.NONE;

    /** An agent that talks to the endpoint of {@code llm} through the JVM's shared client. */
    public LlmAgentOperatorFactory(
            String job,
            LlmOptions llm,
            AgentOptions agent,
            ActionCatalogue catalogue,
            OutputTag<DeadLetter> deadLetters) {
        this(job, llm, agent, catalogue, LlmClients::acquire, deadLetters);
    }

    /** An agent with a client of your own, for example a fake in an operator test. */
    public LlmAgentOperatorFactory(
            String job,
            LlmOptions llm,
            AgentOptions agent,
            ActionCatalogue catalogue,
            LlmClientFactory clientFactory,
            OutputTag<DeadLetter> deadLetters) {
        this.job = job;
        this.llm = llm;
        this.agent = agent;
        this.catalogue = catalogue;
        this.clientFactory = clientFactory;
        this.deadLetters = deadLetters;
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    /** Journals every answer in the journal {@code factory} opens, and reads it back on restore. */
    public LlmAgentOperatorFactory withJournal(JournalOptions options, JournalFactory factory) {
        this.journalOptions = options;
        this.journalFactory = factory;
        return this;
    }

    /** Keeps to {@code budget}'s spend limits. */
    public LlmAgentOperatorFactory withBudget(BudgetOptions budget) {
        this.budget = budget;
        return this;
    }

    /** Writes the audit records and decision records of {@code outputs}. */
    public LlmAgentOperatorFactory withOutputs(AgentOutputs outputs) {
        this.outputs = outputs;
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<Action>> T createStreamOperator(
            StreamOperatorParameters<Action> parameters) {
        return (T)
                new LlmAgentOperator(
                        parameters,
                        job,
                        llm,
                        agent,
                        catalogue,
                        clientFactory,
                        deadLetters,
                        journalOptions,
                        journalFactory,
                        budget,
                        outputs,
                        parameters.getMailboxExecutor());
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return LlmAgentOperator.class;
    }
}
