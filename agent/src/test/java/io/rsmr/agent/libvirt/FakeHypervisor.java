package io.rsmr.agent.libvirt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An in-memory hypervisor for unit tests: running domains by name, and a switch to make it unreachable. */
public final class FakeHypervisor implements Hypervisor {
    private static final Pattern NAME = Pattern.compile("<name>([^<]+)</name>");
    private final Map<String, DomainState> domains = new LinkedHashMap<>();
    private final List<String> calls = new ArrayList<>();
    private boolean unreachable;

    public synchronized FakeHypervisor running(String... names) {
        for (String n : names) {
            domains.put(n, DomainState.ACTIVE);
        }
        return this;
    }

    public synchronized void unreachable(boolean value) {
        unreachable = value;
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    @Override
    public synchronized DomainState state(String domain) throws HypervisorException {
        check("state " + domain);
        return domains.getOrDefault(domain, DomainState.ABSENT);
    }

    @Override
    public synchronized void destroy(String domain) throws HypervisorException {
        check("destroy " + domain);
        domains.remove(domain);
    }

    @Override
    public synchronized void create(String domainXml) throws HypervisorException {
        Matcher m = NAME.matcher(domainXml);
        if (!m.find()) {
            throw new HypervisorException("no <name> in the domain XML", false, null);
        }
        check("create " + m.group(1));
        domains.put(m.group(1), DomainState.ACTIVE);
    }

    private void check(String call) throws HypervisorException {
        calls.add(call);
        if (unreachable) {
            throw new HypervisorException(call + ": fake libvirt is unreachable", true, null);
        }
    }

    @Override
    public void close() {
    }
}
