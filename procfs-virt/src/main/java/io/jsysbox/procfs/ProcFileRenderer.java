package io.jsysbox.procfs;

/** Renders one /proc file as a container sees it, from the host's text of the same file. */
@FunctionalInterface
public interface ProcFileRenderer {
    String render(ContainerView view, String hostText);
}
