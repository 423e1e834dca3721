package io.jsysbox.mgr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The plan for moving a CNI-configured interface, from iproute2 6.1's JSON of such a namespace (bridge plugin,
 * host-local).
 */
class PodNetworkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADDRESSES = """
            [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"link_type":"loopback","addr_info":[
               {"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"}]},
             {"ifindex":2,"link_index":4032,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP"],"mtu":1500,"link_type":"ether",
              "address":"4e:85:a3:49:1f:0f","link_netnsid":0,"addr_info":[
               {"family":"inet","local":"10.254.77.2","prefixlen":24,"broadcast":"10.254.77.255","scope":"global","label":"eth0"},
               {"family":"inet6","local":"fd00:99::2","prefixlen":64,"scope":"global"},
               {"family":"inet6","local":"fe80::4c85:a3ff:fe49:1f0f","prefixlen":64,"scope":"link"}]}]
            """;
    private static final String ROUTES4 = """
            [{"dst":"default","gateway":"10.254.77.1","dev":"eth0","flags":[]},
             {"dst":"10.254.77.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"10.254.77.2","flags":[]},
             {"dst":"10.96.0.0/12","dev":"eth0","scope":"link","flags":[]}]
            """;
    private static final String ROUTES6 = """
            [{"dst":"fd00:99::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
             {"dst":"default","gateway":"fd00:99::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]
            """;

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void movesEveryInterfaceButLoopbackAndConfiguresItAgain() throws Exception {
        PodNetwork.Plan plan = PodNetwork.plan(json(ADDRESSES), json(ROUTES4), json(ROUTES6));
        assertEquals(List.of("eth0"), plan.links());
        assertEquals(
                List.of(
                        List.of("-4", "address", "add", "10.254.77.2/24", "dev", "eth0", "broadcast", "10.254.77.255"),
                        List.of("-6", "address", "add", "fd00:99::2/64", "dev", "eth0", "nodad"),
                        List.of("link", "set", "dev", "eth0", "up"),
                        List.of("-4", "route", "replace", "10.96.0.0/12", "dev", "eth0", "scope", "link"),
                        List.of("-4", "route", "replace", "default", "via", "10.254.77.1", "dev", "eth0"),
                        List.of(
                                "-6",
                                "route",
                                "replace",
                                "default",
                                "via",
                                "fd00:99::1",
                                "dev",
                                "eth0",
                                "metric",
                                "1024")),
                plan.commands(),
                "global addresses, the link up, then on-link routes before gateway routes; kernel routes come by "
                        + "themselves");
    }

    @Test
    void aBatchsOutputIsOneArrayPerCommandEvenWhenTheFirstHasSeveralElements() throws Exception {
        List<JsonNode> results = PodNetwork.batchResults(ADDRESSES + "\n" + ROUTES4 + "\n", 2);
        assertEquals(json(ADDRESSES), results.get(0));
        assertEquals(json(ROUTES4), results.get(1));
        assertThrows(IOException.class, () -> PodNetwork.batchResults(ADDRESSES, 2));
        assertThrows(IOException.class, () -> PodNetwork.batchResults("{}", 1));
    }

    @Test
    void ipv6RoutesAreReadOnlyWhereAGlobalIpv6AddressIs() throws Exception {
        assertTrue(PodNetwork.hasGlobalIpv6(json(ADDRESSES)));
        assertFalse(PodNetwork.hasGlobalIpv6(
                json("[{\"ifname\":\"eth0\",\"addr_info\":[{\"family\":\"inet\",\"scope\":\"global\"},"
                        + "{\"family\":\"inet6\",\"scope\":\"link\"}]}]")));
    }

    @Test
    void aNamespaceWithOnlyLoopbackHasNothingToMove() throws Exception {
        PodNetwork.Plan plan = PodNetwork.plan(
                json("[{\"ifname\":\"lo\",\"link_type\":\"loopback\",\"addr_info\":[]}]"), json("[]"), json("[]"));
        assertEquals(List.of(), plan.links());
        assertEquals(List.of(), plan.commands());
    }

    @Test
    void onlyANamespaceTheCriMadeIsEmptied() {
        var refused = assertThrows(
                ManagerException.class, () -> PodNetwork.checkMovable("sandbox", Path.of("/proc/1/ns/net")));
        assertEquals(ManagerException.Kind.BAD_REQUEST, refused.kind());
        assertTrue(refused.getMessage().contains("not one the CRI made"), refused.getMessage());
        var gone = assertThrows(
                ManagerException.class, () -> PodNetwork.checkMovable("sandbox", Path.of("/run/netns/cni-gone")));
        assertTrue(gone.getMessage().contains("not a network namespace file"), gone.getMessage());
    }
}
