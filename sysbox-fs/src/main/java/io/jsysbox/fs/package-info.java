/**
 * jsysbox-fs: the FUSE daemon that serves a container's virtual /proc and /sys files, rendered by
 * {@code io.jsysbox.procfs} (procfs-virt).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>One mount (default /var/lib/jsysbox-fs) holding every path of
 *       {@link io.jsysbox.procfs.VirtualFileRegistry#standard()} at the place a container sees it
 *       ({@code <mount>/proc/meminfo}, {@code <mount>/proc/sys/kernel/panic}…); the runtime bind-mounts each
 *       file over the container's own. {@link io.jsysbox.fs.FsTree} is that tree, fixed for the mount's life.</li>
 *   <li>The FUSE kernel protocol spoken directly on /dev/fuse ({@link io.jsysbox.fs.FuseSession}): a few
 *       platform threads each read(2) one request and write(2) one reply, through java.lang.foreign
 *       ({@link io.jsysbox.fs.Libc}). {@link io.jsysbox.fs.FuseRequest}, {@link io.jsysbox.fs.FuseReply} and
 *       {@link io.jsysbox.fs.FuseFileSystem} are pure: byte buffers in and out, unit-tested without a mount.</li>
 *   <li>Every request carries the caller's host pid: {@link io.jsysbox.fs.ContainerRegistry#containerOf} maps it
 *       to the container whose init shares its pid namespace, or an ancestor of it (processes of inner
 *       containers count as their outer container's); unknown callers see the host's files.</li>
 *   <li>Files open with direct I/O (sizes are unknown until rendered) and, when read-only, without FLUSH; a
 *       READ at offset 0 renders afresh, later offsets slice that text (seq_file's behaviour). Writes go to
 *       the container's {@link io.jsysbox.procfs.SysctlStore}, validated like the kernel; only the
 *       container's root (the host uid its uid_map gives 0) may write, and never to the host.</li>
 *   <li>Registration over gRPC ({@code jsysbox.v1.Filesystem}, /run/jsysbox/fs.sock); registered containers,
 *       their boot ids and written sysctls persist in /var/lib/jsysbox/fs-state.json.</li>
 * </ul>
 */
package io.jsysbox.fs;
