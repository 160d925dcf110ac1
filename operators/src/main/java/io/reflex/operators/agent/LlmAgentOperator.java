package io.reflex.operators.agent;

import io.reflex.operators.action.ActionCatalogue;
import io.reflex.operators.journal.JournalFactory;
import io.reflex.operators.journal.JournalOptions;
import io.reflex.operators.journal.JournalPosition;
import io.reflex.operators.llm.LlmClient;
import io.reflex.operators.llm.LlmClientFactory;
import io.reflex.operators.llm.LlmOptions;
import io.reflex.operators.llm.TokenCounter;
import io.reflex.operators.model.Action;
import io.reflex.operators.model.DeadLetter;
import io.reflex.operators.model.KeyedJson;
import io.reflex.operators.model.Trigger;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.function.ThrowingRunnable;

/**
 * Reflex's keyed LLM agent: an asynchronous operator that keeps keyed state on both sides of the
 * call.
 *
 * <ul>
 *   <li><b>One request per key.</b> Triggers that arrive while a key's request is pending are
 *       coalesced into its next request (a bounded backlog); other keys never wait on it.
 *   <li><b>Pending requests are keyed state</b> ({@link AgentKeyState}): their triggers, attempts
 *       and first-attempt time are checkpointed with the key, and re-issued in {@link #open()}
 *       after a restore, by the subtask that owns the key at the new parallelism.
 *   <li><b>Never blocks the mailbox thread.</b> Answers come back through the mailbox with the key
 *       set; retries, rate-limit waits and the breaker's cool-down are processing-time callbacks.
 *       At capacity, {@link #processElement} yields to the mailbox until a request ends.
 *   <li><b>Retries</b> follow {@link RetryPolicy}; a {@link CircuitBreaker} parks requests while
 *       the endpoint is down; a {@link RateLimiter} keeps to requests and tokens per minute.
 *   <li><b>Structured output</b> is validated; an invalid answer gets one repair turn with the
 *       error fed back. The model may call read-only {@link AgentTools} for a bounded number of
 *       rounds. Per-key {@link AgentMemory} (past decisions and a note) goes into the prompt.
 *   <li><b>Watermarks</b> are held back to the oldest pending trigger ({@link WatermarkHold}).
 *   <li><b>No answer is bought twice.</b> With a journal ({@link AgentJournal}), every answer is
 *       appended outside the checkpoint as it arrives; a restore reads back what was appended
 *       since, and decides those requests from it instead of calling the LLM.
 * </ul>
 *
 * <p>This class is the Flink side: state handles, the mailbox, timers, outputs and watermarks
 * ({@link AgentHost}). Each concern has a class of its own: {@link AgentRequests} (each request's
 * lifecycle), {@link ActiveKeys} (each active key's phase: in flight, backing off, rate-limited,
 * parked), {@link io.reflex.operators.decide.AnswerInterpreter} (what an answer means: tool round,
 * repair, decision or failure; shared with the stateless function), {@link AgentMemory}, {@link
 * WatermarkHold}, {@link AgentMetrics} and {@link AgentState}.
 *
 * <p>Every trigger ends as actions, an explicit no-action decision, or a dead letter on {@link
 * #deadLetters}.
 */
@Internal
public class LlmAgentOperator extends AbstractStreamOperator<Action>
        implements OneInputStreamOperator<Trigger, Action>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final String job;
    private final LlmOptions llm;
    private final AgentOptions agent;
    private final ActionCatalogue catalogue;
    private final LlmClientFactory clientFactory;
    private final OutputTag<DeadLetter> deadLetters;
    private final JournalOptions journalOptions;
    private final JournalFactory journalFactory;
    private final BudgetOptions budgetOptions;
    private final AgentOutputs outputs;
    private final transient MailboxExecutor mailbox;

    // ---- runtime, rebuilt from keyed state on restore; touched on the mailbox thread only ----
    private transient LlmClient client;
    private transient ValueState<AgentKeyState> keyState;
    private transient ValueState<AgentMemory> memoryState;
    private transient WatermarkHold watermarks;
    private transient AgentRequests requests;
    private transient ListState<JournalPosition> journalPositions;
    private transient List<JournalPosition> restoredJournalPositions;
    private transient AgentJournal journal;
    private transient ValueState<KeyTokens> tokensState;
    private transient ListState<DailySpend> spendState;
    private transient AgentBudget budget;

    public LlmAgentOperator(
            StreamOperatorParameters<Action> parameters,
            String job,
            LlmOptions llm,
            AgentOptions agent,
            ActionCatalogue catalogue,
            LlmClientFactory clientFactory,
            OutputTag<DeadLetter> deadLetters,
            JournalOptions journalOptions,
            JournalFactory journalFactory,
            BudgetOptions budgetOptions,
            AgentOutputs outputs,
            MailboxExecutor mailbox) {
        super(parameters);
        this.job = job;
        this.llm = llm;
        this.agent = agent;
        this.catalogue = catalogue;
        this.clientFactory = clientFactory;
        this.deadLetters = deadLetters;
        this.journalOptions = journalOptions;
        this.journalFactory = journalFactory;
        this.budgetOptions = budgetOptions;
        this.outputs = outputs;
        this.mailbox = mailbox;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        restoredJournalPositions = new ArrayList<>();
        if (budgetOptions != null && budgetOptions.any()) {
            spendState = context.getOperatorStateStore().getUnionListState(AgentBudget.SPEND);
        }
        if (journalFactory != null) {
            journalPositions =
                    context.getOperatorStateStore().getUnionListState(AgentJournal.POSITIONS);
            if (context.isRestored()) {
                journalPositions.get().forEach(restoredJournalPositions::add);
            }
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (journal != null) {
            journal.snapshot(journalPositions);
        }
        if (budget != null) {
            budget.snapshot(spendState);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        client = clientFactory.create(llm);
        keyState = getRuntimeContext().getState(AgentState.keyStateDescriptor());
        memoryState = getRuntimeContext().getState(AgentState.memoryStateDescriptor(agent));
        watermarks = new WatermarkHold();
        if (journalFactory != null) {
            TaskInfo task = getRuntimeContext().getTaskInfo();
            journal =
                    new AgentJournal(
                            job,
                            journalFactory.create(job, task.getIndexOfThisSubtask()),
                            journalOptions,
                            task.getMaxNumberOfParallelSubtasks(),
                            KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                                    task.getMaxNumberOfParallelSubtasks(),
                                    task.getNumberOfParallelSubtasks(),
                                    task.getIndexOfThisSubtask()),
                            llm.model(),
                            agent,
                            getMetricGroup());
            journal.open(restoredJournalPositions);
            restoredJournalPositions = null;
        }
        if (spendState != null) {
            int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
            budget =
                    new AgentBudget(
                            budgetOptions, agent, llm.maxTokens(), parallelism, getMetricGroup());
            budget.restore(
                    spendState.get(),
                    parallelism,
                    getProcessingTimeService().getCurrentProcessingTime());
            tokensState = getRuntimeContext().getState(AgentBudget.keyTokensDescriptor());
        }
        requests =
                new AgentRequests(
                        job,
                        llm,
                        agent,
                        catalogue,
                        client,
                        getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(),
                        getMetricGroup(),
                        watermarks,
                        journal,
                        budget,
                        outputs,
                        new Host());
        TokenCounter.count("warm up"); // loads the tokenizer's ranks now, not on a trigger
        reissueRestoredRequests();
    }

    /** Re-issues every request that was pending in the restored state of this subtask's keys. */
    private void reissueRestoredRequests() throws Exception {
        List<Object> keys = new ArrayList<>();
        getKeyedStateBackend()
                .applyToAllKeys(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        AgentState.keyStateDescriptor(),
                        (key, state) -> keys.add(key));
        for (Object key : keys) {
            setCurrentKey(key);
            requests.restore(key);
        }
    }

    @Override
    public void processElement(StreamRecord<Trigger> record) throws Exception {
        Object key = getCurrentKey();
        ActiveKeys active = requests.active();
        while (active.size() >= llm.maxConcurrent() && !active.contains(key)) {
            requests.metrics().capacityWaits.inc();
            mailbox.yield(); // answers and timers run meanwhile, and may change the current key
        }
        setCurrentKey(key);
        requests.onTrigger(key, record.getValue());
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        watermarks.input(mark.getTimestamp());
        advanceWatermark();
    }

    @Override
    public void endInput() throws Exception {
        while (!requests.active().isEmpty()) {
            mailbox.yield();
        }
    }

    /** Emits the input watermark, held back below the oldest pending trigger. */
    private void advanceWatermark() {
        long w = watermarks.advance();
        if (w != WatermarkHold.UNCHANGED) {
            output.emitWatermark(new Watermark(w));
        }
    }

    @Override
    public void close() throws Exception {
        try (AutoCloseable j = journal) {
            if (client != null) {
                client.close();
            }
        } finally {
            super.close();
        }
    }

    /** The operator's side of {@link AgentRequests}: keyed state, time, mailbox, outputs. */
    private final class Host implements AgentHost {
        @Override
        public void setKey(Object key) {
            setCurrentKey(key);
        }

        @Override
        public Object key() {
            return getCurrentKey();
        }

        @Override
        public AgentKeyState pending() throws Exception {
            return keyState.value();
        }

        @Override
        public void pending(AgentKeyState s) throws Exception {
            keyState.update(s);
        }

        @Override
        public void clearPending() {
            keyState.clear();
        }

        @Override
        public AgentMemory memory() throws Exception {
            return memoryState.value();
        }

        @Override
        public void memory(AgentMemory m) throws Exception {
            memoryState.update(m);
        }

        @Override
        public KeyTokens tokens() throws Exception {
            return tokensState == null ? null : tokensState.value();
        }

        @Override
        public void tokens(KeyTokens t) throws Exception {
            tokensState.update(t);
        }

        @Override
        public long now() {
            return getProcessingTimeService().getCurrentProcessingTime();
        }

        @Override
        public void onMailbox(ThrowingRunnable<? extends Exception> r, String description) {
            mailbox.execute(r, description);
        }

        @Override
        public void timer(long time, ThrowingRunnable<? extends Exception> r) {
            getProcessingTimeService().registerTimer(time, t -> r.run());
        }

        @Override
        public void emit(Action a, long timestamp) {
            output.collect(new StreamRecord<>(a, timestamp));
        }

        @Override
        public void deadLetter(Trigger t, String reason) {
            requests.metrics().deadLetters.inc();
            output.collect(
                    deadLetters,
                    new StreamRecord<>(DeadLetter.ofTrigger(reason, t), t.eventTime()));
        }

        @Override
        public void output(OutputTag<KeyedJson> tag, KeyedJson record, long timestamp) {
            output.collect(tag, new StreamRecord<>(record, timestamp));
        }

        @Override
        public void advanceWatermark() {
            LlmAgentOperator.this.advanceWatermark();
        }
    }
}
