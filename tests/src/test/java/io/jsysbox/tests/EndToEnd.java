package io.jsysbox.tests;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that drives the real Docker engine and the installed jsysbox. Such classes run only with
 * {@code -Djsysbox.e2e=true} (tests/run.sh); then a host that is not ready fails them instead of skipping.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("e2e")
@ExtendWith(EndToEndGate.class)
public @interface EndToEnd {}
