package io.rsmr.agent.failsafe;

import io.rsmr.agent.Events;
import io.rsmr.agent.libvirt.Hypervisor;
import io.rsmr.agent.libvirt.HypervisorException;
import io.rsmr.common.config.FailSafeAction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The fail-safe actions S of the SMW (section 3.2), run in the configured order whenever a
 * rejuvenation is not correct and timely. Every firing is journaled first, then acted on:
 * <ul>
 * <li>{@code alert}: the event goes to the webhooks and the log;
 * <li>{@code shutdown}: this host's replica VMs are powered off and held off (persistent marker);
 * <li>{@code halt-rounds}: no new rejuvenation round starts until an operator resumes them.
 * </ul>
 */
public final class FailSafe {
    private final List<FailSafeAction> actions;
    private final Alerter alerter;
    private final Hypervisor hypervisor;
    private final List<String> ownDomains;
    private final FailSafeState state;
    private final Events events;
    private final Consumer<FailSafeCause> counter;

    /** @param ownDomains this host's replica VMs: the only ones {@code shutdown} touches */
    public FailSafe(List<FailSafeAction> actions, Alerter alerter, Hypervisor hypervisor, List<String> ownDomains,
                    FailSafeState state, Events events, Consumer<FailSafeCause> counter) {
        this.actions = List.copyOf(actions);
        this.alerter = alerter;
        this.hypervisor = hypervisor;
        this.ownDomains = List.copyOf(ownDomains);
        this.state = state;
        this.events = events;
        this.counter = counter;
    }

    public FailSafeState state() {
        return state;
    }

    /** Fires S for {@code cause}; {@code details} say which replica, step and what happened. */
    public void fire(FailSafeCause cause, Map<String, ?> details) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("cause", cause.label());
        event.putAll(details);
        event.put("actions", actions.stream().map(FailSafeAction::configName).toList());
        events.record("failsafe-fired", event);
        counter.accept(cause);
        for (FailSafeAction a : actions) {
            switch (a) {
                case ALERT -> alerter.alert(event);
                case SHUTDOWN -> shutdownOwnReplicas(cause, event);
                case HALT_ROUNDS -> haltRounds(cause);
            }
        }
    }

    private void shutdownOwnReplicas(FailSafeCause cause, Map<String, Object> event) {
        try {
            state.markShutdown("fail-safe " + cause.label() + ": " + event.getOrDefault("detail", ""));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the fail-safe shutdown marker", e);
        }
        List<String> failed = new ArrayList<>();
        for (String domain : ownDomains) {
            try {
                hypervisor.destroy(domain);
            } catch (HypervisorException e) {
                failed.add(domain + ": " + e.getMessage());
            }
        }
        events.record("failsafe-shutdown", Map.of("domains", ownDomains, "failures", failed));
    }

    private void haltRounds(FailSafeCause cause) {
        try {
            state.markRoundsHalted("fail-safe " + cause.label());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the halt-rounds marker", e);
        }
        events.record("failsafe-rounds-halted", Map.of("cause", cause.label()));
    }
}
