package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.ReplicaCore;
import io.rsmr.replica.protocol.TestSignatures;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.Request;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checkers themselves must fail on bad histories, or the simulator proves nothing. */
class CheckersTest {
    private static final SimKv.Op PUT_1 = new SimKv.Op(SimKv.PUT, 0, 0, 1);
    private static final SimKv.Op PUT_2 = new SimKv.Op(SimKv.PUT, 0, 0, 2);
    private static final SimKv.Op GET = new SimKv.Op(SimKv.GET, 0, 0, 0);
    private static final SimKv.Result OK = new SimKv.Result(SimKv.Result.OK, SimKv.ABSENT);

    private static SimKv.Result value(long v) {
        return new SimKv.Result(SimKv.Result.VALUE, v);
    }

    private static LinearizabilityChecker.Call call(SimKv.Op op, long invoked, long responded, SimKv.Result result) {
        return new LinearizabilityChecker.Call(1, op, invoked, responded, result);
    }

    @Test
    void aReadOfAValueOverwrittenBeforeItStartedIsNotLinearizable() {
        LinearizabilityChecker checker = new LinearizabilityChecker(100);
        assertNull(checker.check(List.of(call(PUT_1, 1, 2, OK), call(PUT_2, 3, 4, OK), call(GET, 5, 6, value(2)))));
        assertNotNull(checker.check(List.of(call(PUT_1, 1, 2, OK), call(PUT_2, 3, 4, OK), call(GET, 5, 6, value(1)))));
    }

    @Test
    void concurrentOperationsMayTakeEffectInEitherOrder() {
        LinearizabilityChecker checker = new LinearizabilityChecker(100);
        assertNull(checker.check(List.of(call(PUT_1, 1, 10, OK), call(PUT_2, 2, 9, OK), call(GET, 11, 12, value(1)))));
        assertNull(checker.check(List.of(call(PUT_1, 1, 10, OK), call(PUT_2, 2, 9, OK), call(GET, 11, 12, value(2)))));
        assertNull(checker.check(List.of(call(PUT_1, 1, Long.MAX_VALUE, null), call(GET, 2, 3, value(1)))),
                "an operation without a response may have taken effect");
    }

    private static Output.Executed executed(long seq, Request... requests) {
        byte[] digest = Digests.sha256(new byte[] {(byte) seq});
        return new Output.Executed(seq, digest, Digests.chain(new byte[32], seq, digest), List.of(requests));
    }

    @Test
    void aRequestNoClientSentOrOneExecutedTwiceIsAViolation() {
        SimParams params = SimParams.derive(1, 4, 0, 1);
        ReplicaCore core = new ReplicaCore(params.config(), 1, SimKv.newService(), TestSignatures.forCluster(4,
                new java.util.SplittableRandom(1)).apply(1));
        Checkers checkers = new Checkers(params);
        int correct = params.isByzantine(1) ? 2 : 1;
        Request sent = new Request(1000, 1, PUT_1.encode());
        checkers.onInvoke(1000, PUT_1);
        checkers.onSent(1000, 1, sent.operation());
        checkers.onExecuted(correct, executed(1, sent), core);
        Simulator.Violation twice = assertThrows(Simulator.Violation.class,
                () -> checkers.onExecuted(correct, executed(2, sent), core));
        assertTrue(twice.getMessage().startsWith("exactly-once"), twice.getMessage());
        Simulator.Violation forged = assertThrows(Simulator.Violation.class,
                () -> checkers.onExecuted(correct, executed(3, new Request(1000, 2, PUT_2.encode())), core));
        assertTrue(forged.getMessage().startsWith("validity"), forged.getMessage());
        Simulator.Violation diverged = assertThrows(Simulator.Violation.class,
                () -> checkers.onExecuted(correct, executed(1), core));
        assertTrue(diverged.getMessage().startsWith("agreement"), diverged.getMessage());
    }
}
