/**
 * The ordering protocol: a pure state machine, {@link io.rsmr.replica.protocol.ReplicaCore#step}.
 *
 * <h2>Which protocol and why</h2>
 * PBFT (Castro and Liskov), generalised to the paper's fault model: up to k' Byzantine replicas and,
 * at the same time, up to k silent ones (being rejuvenated), with n &ge; 3k' + 2k + 1. Every quorum
 * is q = n - k - k' (two quorums meet in at least k' + 1 replicas, so in a correct one), and a client
 * accepts k' + 1 matching replies. With k = 0 it is classic PBFT. PBFT was chosen over Mod-SMaRt
 * because its view change is specified slot by slot with a decision rule that can be checked by
 * every replica, which keeps the core small and testable by script.
 *
 * <h2>Authentication</h2>
 * The normal case (request, pre-prepare, prepare, commit, reply, status) is only MAC-authenticated
 * by the transport: no signatures on the hot path. What a third party must check is signed:
 * checkpoints (q of them make a stable checkpoint certificate), view changes and new views. A new
 * view carries the signed view changes it decided from and every replica recomputes the decision
 * ({@code NewViewDecision}, the rule of Castro's thesis for view changes without signed prepares),
 * so a Byzantine leader cannot make up the new view's contents.
 *
 * <h2>Requests</h2>
 * Clients send every request to every replica. A pre-prepare names requests by (client, sequence
 * number, operation digest), and a backup accepts it only for requests it received from the client
 * itself, so a Byzantine leader cannot order a request no client sent. A backup forwards a request
 * that waits half the request timeout to the leader, which orders it on k' + 1 matching forwards.
 * A per-client reply cache (part of the checkpoint state) gives exactly-once execution.
 *
 * <h2>Durability and recovery</h2>
 * {@link io.rsmr.replica.protocol.Output} says what must be persisted before anything of the same
 * step is sent: accepted proposals, prepared certificates, views, and the chunks and manifest of
 * every stable checkpoint. A replica starts as a {@link io.rsmr.replica.protocol.Start}: fresh,
 * resuming from its own trusted log (it remembers its votes and may vote at once), or recovering
 * with an untrusted disk. A recovering replica must not vote until its stable checkpoint passes
 * every sequence number it could have voted on; it learns the latest certificate from its peers,
 * fetches the manifest whose root the certificate signs, reuses the local chunks that match it,
 * fetches the rest from several peers ({@link io.rsmr.replica.protocol.StateTransfer}), and catches
 * up through commit certificates.
 *
 * <h2>Tests</h2>
 * The simulator (src/test, package sim) runs these classes unchanged for thousands of seeds with
 * message loss, duplication, reordering, partitions, crash-restarts and scripted Byzantine replicas,
 * and checks agreement, validity, exactly-once and linearizability after every step.
 */
package io.rsmr.replica.protocol;
