package io.jsysbox.spec;

import static io.jsysbox.spec.AppArmorConfinement.Host.APPARMOR_OFF;
import static io.jsysbox.spec.AppArmorConfinement.Host.PROFILE_LOADED;
import static io.jsysbox.spec.AppArmorConfinement.Host.PROFILE_NOT_LOADED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsysbox.api.AppArmorProfile;
import org.junit.jupiter.api.Test;

/** Which profile a system container and its exec'd processes get, for each engine's default and each host. */
class AppArmorConfinementTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void engineDefaultsAndNoProfileBecomeJsysboxsProfile() throws Exception {
        for (String requested : new String[] {"docker-default", "cri-containerd.apparmor.d", "crio-default", ""}) {
            AppArmorConfinement.Choice choice = AppArmorConfinement.forContainer(requested, PROFILE_LOADED);
            assertEquals(AppArmorProfile.NAME, choice.profile(), requested);
            assertEquals("", choice.warning(), requested);
        }
    }

    @Test
    void aProfileTheUserChoseIsKept() throws Exception {
        assertEquals(
                "my-profile",
                AppArmorConfinement.forContainer("my-profile", PROFILE_LOADED).profile());
        // A rewritten spec transformed again (create re-run on the same bundle) keeps jsysbox's profile.
        assertEquals(
                AppArmorProfile.NAME,
                AppArmorConfinement.forContainer(AppArmorProfile.NAME, PROFILE_LOADED)
                        .profile());
        // Without jsysbox's profile loaded, the user's own still works: runc reports it if it is not loaded.
        assertEquals(
                "my-profile",
                AppArmorConfinement.forContainer("my-profile", PROFILE_NOT_LOADED)
                        .profile());
    }

    @Test
    void unconfinedIsHonouredWithAWarning() throws Exception {
        AppArmorConfinement.Choice choice = AppArmorConfinement.forContainer("unconfined", PROFILE_LOADED);
        assertEquals("unconfined", choice.profile());
        assertTrue(choice.warning().contains("without AppArmor confinement"), choice.warning());
        assertEquals(
                "unconfined",
                AppArmorConfinement.forContainer("unconfined", PROFILE_NOT_LOADED)
                        .profile());
    }

    @Test
    void withoutJsysboxsProfileLoadedAContainerThatWouldGetItIsRefusedSayingHowToLoadIt() {
        JsysboxException refused = assertThrows(
                JsysboxException.class, () -> AppArmorConfinement.forContainer("docker-default", PROFILE_NOT_LOADED));
        assertTrue(refused.getMessage().contains("jsysbox install"), refused.getMessage());
        assertTrue(
                refused.getMessage().contains("apparmor_parser -r -W /etc/apparmor.d/jsysbox-container"),
                refused.getMessage());
    }

    @Test
    void whereTheEngineAsksForNoProfileAndOursIsNotLoadedTheContainerRunsWithoutOne() throws Exception {
        // AppArmor on in the kernel, no apparmor userland: Docker applies no profile, and jsysbox cannot load its own.
        AppArmorConfinement.Choice choice = AppArmorConfinement.forContainer("", PROFILE_NOT_LOADED);
        assertEquals("", choice.profile());
        assertEquals("", choice.warning());
    }

    @Test
    void withoutAppArmorTheSpecIsLeftAsItIs() throws Exception {
        assertEquals("", AppArmorConfinement.forContainer("", APPARMOR_OFF).profile());
        assertEquals(
                "docker-default",
                AppArmorConfinement.forContainer("docker-default", APPARMOR_OFF).profile());
        assertEquals(
                "", AppArmorConfinement.forContainer("unconfined", APPARMOR_OFF).warning());
    }

    @Test
    void theChoiceIsWrittenToTheProcess() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        spec.withObjectProperty("process").put("apparmorProfile", "docker-default");
        AppArmorConfinement.apply(spec, AppArmorConfinement.forContainer("docker-default", PROFILE_LOADED));
        assertEquals(
                AppArmorProfile.NAME,
                spec.path("process").path("apparmorProfile").asText());
        AppArmorConfinement.apply(spec, new AppArmorConfinement.Choice("", ""));
        assertFalse(spec.path("process").has("apparmorProfile"));
    }

    @Test
    void anExecdProcessGetsTheContainersProfileInPlaceOfTheEnginesDefault() throws Exception {
        ObjectNode spec = SpecTransformerTest.dockerSpec();
        AppArmorConfinement.apply(spec, AppArmorConfinement.forContainer("docker-default", PROFILE_LOADED));
        var annotations = spec.path("annotations");
        ObjectNode docker = (ObjectNode) JSON.readTree("{\"args\":[\"sh\"],\"apparmorProfile\":\"docker-default\"}");
        AppArmorConfinement.forExec(docker, annotations);
        assertEquals(AppArmorProfile.NAME, docker.path("apparmorProfile").asText());
        ObjectNode none = (ObjectNode) JSON.readTree("{\"args\":[\"sh\"]}");
        AppArmorConfinement.forExec(none, annotations);
        assertEquals(AppArmorProfile.NAME, none.path("apparmorProfile").asText());
        ObjectNode chosen = (ObjectNode) JSON.readTree("{\"args\":[\"sh\"],\"apparmorProfile\":\"unconfined\"}");
        AppArmorConfinement.forExec(chosen, annotations);
        assertEquals("unconfined", chosen.path("apparmorProfile").asText());
        // A container made before the annotation: the engine's default is dropped.
        ObjectNode old = (ObjectNode) JSON.readTree("{\"args\":[\"sh\"],\"apparmorProfile\":\"docker-default\"}");
        AppArmorConfinement.forExec(old, JSON.createObjectNode());
        assertFalse(old.has("apparmorProfile"));
    }
}
