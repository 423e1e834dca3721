/**
 * Pure renderers of the virtual /proc and /sys files a system container sees (the jsysbox-fs FUSE daemon
 * serves them). Nothing here touches a file system, needs root or knows about FUSE: inputs in, text out.
 *
 * <h2>Flow of one read</h2>
 * <ol>
 *   <li>{@link io.jsysbox.procfs.VirtualFileRegistry#lookup} maps the path the container opened to a
 *       {@link io.jsysbox.procfs.VirtualFile}: {@code Rendered} (host file + renderer), {@code Sysctl}
 *       (per-container value) or {@code Generated} (from the container alone).</li>
 *   <li>The daemon builds a {@link io.jsysbox.procfs.ContainerView}: {@link io.jsysbox.procfs.CgroupV1Reader}
 *       or {@link io.jsysbox.procfs.CgroupV2Reader} over a name → content function of the container's cgroup
 *       files, the container's start as time since boot, the host's online CPUs, optionally its load.</li>
 *   <li>{@code renderer.render(view, hostText)} returns the whole file; the daemon slices it by the read's
 *       offset and size.</li>
 * </ol>
 * Sysctl writes go through {@link io.jsysbox.procfs.SysctlStore#write}, which answers like the kernel's
 * handler: bytes consumed, or an {@link io.jsysbox.procfs.Errno} for the FUSE reply.
 *
 * <h2>Choices</h2>
 * <ul>
 *   <li>Visible CPUs = cpuset ∩ online CPUs, cut to the first ceil(quota / period); cpuinfo and stat
 *       renumber them 0..n-1.</li>
 *   <li>Memory values are the cgroup's hierarchical ones (v1 {@code total_*}), so inner containers count.</li>
 *   <li>No limit (or a limit above the host's) means the host's lines, unchanged.</li>
 *   <li>Renderers scan the host text once with indexOf and StringBuilder, no regular expressions.</li>
 * </ul>
 */
package io.jsysbox.procfs;
