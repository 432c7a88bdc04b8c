package io.rsmr.agent.libvirt;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.ErrorCallback;
import org.libvirt.LibvirtException;

/**
 * {@link Hypervisor} over libvirt-java. One connection, opened lazily and reopened when libvirt
 * went away (libvirtd restarted): a call that fails on a dead connection is retried once on a new
 * one, and only when that fails too is libvirt reported unreachable. Calls are serialized: the
 * agent drives its own few replicas one step at a time.
 */
public final class LibvirtHypervisor implements Hypervisor {
    /**
     * libvirt prints every error to stderr unless a handler is set; the adapter turns each into an
     * exception (a lookup of an absent domain is not even an error here), so the handler drops them.
     * Held here so that JNA's callback is never collected.
     */
    private static final ErrorCallback SILENT = new ErrorCallback();
    private static boolean silenced;

    /** One reconnect per call: libvirtd back after a restart answers at once; a second failure is real. */
    static final int CONNECT_ATTEMPTS_MAX = 2;

    private final String uri;
    private final Connector connector;
    private Connect connection;

    public LibvirtHypervisor(String uri) {
        this(uri, Connect::new);
    }

    LibvirtHypervisor(String uri, Connector connector) {
        this.uri = uri;
        this.connector = connector;
    }

    /** Opens a connection; tests wrap it to get hold of the connection and break it. */
    interface Connector {
        Connect open(String uri) throws LibvirtException;
    }

    /** A libvirt call on a connection. */
    private interface Call<T> {
        T on(Connect c) throws LibvirtException;
    }

    @Override
    public synchronized DomainState state(String domain) throws HypervisorException {
        return call("state of " + domain, c -> {
            Domain d = lookup(c, domain);
            if (d == null) {
                return DomainState.ABSENT;
            }
            try {
                return stateOf(d.getInfo().state);
            } catch (LibvirtException e) {
                return vanished(e) ? DomainState.ABSENT : rethrow(e);
            } finally {
                d.free();
            }
        });
    }

    @Override
    public synchronized void destroy(String domain) throws HypervisorException {
        call("destroy " + domain, c -> {
            Domain d = lookup(c, domain);
            if (d == null) {
                return null;
            }
            try {
                if (d.isActive() == 1) {
                    d.destroy();
                }
            } catch (LibvirtException e) {
                // It went off between the check and the destroy: that is what was asked.
                if (!vanished(e) && d.isActive() == 1) {
                    throw e;
                }
            } finally {
                d.free();
            }
            return null;
        });
    }

    @Override
    public synchronized void create(String domainXml) throws HypervisorException {
        call("create domain", c -> {
            c.domainCreateXML(domainXml, 0).free();
            return null;
        });
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (LibvirtException e) {
                // Closing a dead connection fails; there is nothing left to release.
            }
            connection = null;
        }
    }

    private <T> T call(String what, Call<T> call) throws HypervisorException {
        LibvirtException last = null;
        for (int attempt = 1; attempt <= CONNECT_ATTEMPTS_MAX; attempt++) {
            Connect c;
            try {
                c = connection();
            } catch (LibvirtException e) {
                last = e;
                continue;
            }
            try {
                return call.on(c);
            } catch (LibvirtException e) {
                if (!connectionLost(e, c)) {
                    throw new HypervisorException(what + " on " + uri + ": " + message(e), false, e);
                }
                last = e;
                close();
            }
        }
        throw new HypervisorException(what + ": libvirt at " + uri + " is unreachable: " + message(last), true, last);
    }

    private Connect connection() throws LibvirtException {
        silenceStderr();
        if (connection == null) {
            connection = connector.open(uri);
        }
        return connection;
    }

    private static synchronized void silenceStderr() throws LibvirtException {
        if (!silenced) {
            Connect.setErrorCallback(SILENT);
            silenced = true;
        }
    }

    private static Domain lookup(Connect c, String name) throws LibvirtException {
        try {
            return c.domainLookupByName(name);
        } catch (LibvirtException e) {
            if (vanished(e)) {
                return null;
            }
            throw e;
        }
    }

    private static boolean vanished(LibvirtException e) {
        return e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN;
    }

    private static boolean connectionLost(LibvirtException e, Connect c) {
        ErrorNumber code = e.getError() == null ? null : e.getError().getCode();
        if (code == ErrorNumber.VIR_ERR_SYSTEM_ERROR || code == ErrorNumber.VIR_ERR_RPC
                || code == ErrorNumber.VIR_ERR_INVALID_CONN || code == ErrorNumber.VIR_ERR_NO_CONNECT) {
            return true;
        }
        try {
            return !c.isAlive();
        } catch (LibvirtException dead) {
            return true;
        }
    }

    private static DomainState stateOf(DomainInfo.DomainState s) {
        return s == DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF ? DomainState.OFF : DomainState.ACTIVE;
    }

    private static <T> T rethrow(LibvirtException e) throws LibvirtException {
        throw e;
    }

    private static String message(LibvirtException e) {
        return e == null ? "no connection" : e.getError() == null ? e.toString() : e.getError().getMessage();
    }
}
