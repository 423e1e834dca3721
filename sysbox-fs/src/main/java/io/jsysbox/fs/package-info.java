/**
 * jsysbox-fs: the FUSE daemon that serves a container's virtual /proc and /sys files, rendered by
 * {@code io.jsysbox.procfs} (procfs-virt).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>One mount (default /var/lib/jsysbox-fs) holding every path of
 *       {@link io.jsysbox.procfs.VirtualFileRegistry#standard()} at the place a container sees it, once per view:
 *       the host's view at the mount root ({@code <mount>/proc/meminfo}, {@code <mount>/proc/sys/kernel/panic}…,
 *       the host's own files, read-only) and each registered container's view at {@code <mount>/containers/<id>}
 *       ({@code <mount>/containers/<id>/proc/meminfo}…). A view's content is its owner's, whoever reads it. The
 *       runtime bind-mounts each file of a container's view over the container's own. {@link io.jsysbox.fs.FsTree}
 *       is the template tree, fixed for the mount's life.</li>
 *   <li>Each view has its own FUSE node ids (its slot above bit 20, the template node's id below), hence its own
 *       kernel inodes and page cache: sendfile(2) and splice(2) read through the page cache even in direct I/O
 *       mode, so one inode shared by all containers could hand a container the page another one's read just
 *       filled. Slots are given at registration (1, 2, 3…; 0 is the host's view), never twice, and persisted: a
 *       daemon taking over the FUSE connection restores each container in the slot the kernel knows it by.</li>
 *   <li>A container's files belong to the host uid and gid its user namespace maps to 0 (root:root inside, as in
 *       procfs); the host's view belongs to host root. Nodes of a slot no container holds answer ENOENT.</li>
 *   <li>The FUSE kernel protocol spoken directly on /dev/fuse ({@link io.jsysbox.fs.FuseSession}): a few
 *       platform threads each read(2) one request and write(2) one reply, through java.lang.foreign
 *       (linux-native's {@link io.jsysbox.linux.Libc}); one of them waits on the device at a time, the others are
 *       parked until a request queues behind a read, or a write comes. {@link io.jsysbox.fs.FuseRequest}, {@link io.jsysbox.fs.FuseReply} and
 *       {@link io.jsysbox.fs.FuseFileSystem} are pure: byte buffers in and out, unit-tested without a mount.</li>
 *   <li>Files open with direct I/O (sizes are unknown until rendered) and, when read-only, without FLUSH; a
 *       READ at offset 0 renders afresh, later offsets slice that text (seq_file's behaviour). Writes go to
 *       the container's {@link io.jsysbox.procfs.SysctlStore}, validated like the kernel. Only the container's
 *       processes write its sysctls: the caller's pid must be in the container's pid namespace or one nested in
 *       it ({@link io.jsysbox.fs.ContainerRegistry#containerOf}), and its uid the container's root (the host uid
 *       its uid_map gives 0) or host root. Nothing writes through the host's view.</li>
 *   <li>Registration over gRPC ({@code jsysbox.v1.Filesystem}, /run/jsysbox/fs.sock); registered containers,
 *       their slots, boot ids and written sysctls persist in /var/lib/jsysbox/fs-state.json.</li>
 *   <li>sysinfo(2): the seccomp agent ({@link io.jsysbox.fs.SeccompAgent}, /run/jsysbox/seccomp.sock) receives each
 *       system container's seccomp notify descriptor from runc and a {@link io.jsysbox.fs.SeccompSupervisor} writes
 *       the container's struct sysinfo into each caller, with the numbers its /proc files show.</li>
 * </ul>
 */
package io.jsysbox.fs;
