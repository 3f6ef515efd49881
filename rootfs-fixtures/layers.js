/**
 * Layer descriptions shared by build.js (which writes them to out/) and the
 * tests (which build them at test time): plain data in the LayerEntry shape
 * of src/image/oci-layout.ts.
 */

/** A vfs_cap_data (revision 2) granting cap_net_raw, permitted + effective. */
export const CAP_NET_RAW = Buffer.from([
  0x01, 0x00, 0x00, 0x02, // magic VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
  0x00, 0x20, 0x00, 0x00, // permitted[0]: bit 13 = CAP_NET_RAW
  0x00, 0x00, 0x00, 0x00, // inheritable[0]
  0x00, 0x00, 0x00, 0x00, // permitted[1]
  0x00, 0x00, 0x00, 0x00, // inheritable[1]
])

/**
 * The multi-layer image of issue 3: layer 2 deletes a file of layer 1,
 * makes a directory opaque, and ships a hardlink, a setuid file and a file
 * capability.
 */
export const multiLayerImage = [
  [
    { path: 'data', type: 'dir', mode: 0o755 },
    { path: 'data/deleted.txt', type: 'file', content: 'deleted in layer 2\n' },
    { path: 'data/kept.txt', type: 'file', content: 'kept\n' },
    { path: 'opaque', type: 'dir', mode: 0o755 },
    { path: 'opaque/old.txt', type: 'file', content: 'hidden by the opaque dir of layer 2\n' },
    { path: 'opaque/sub', type: 'dir' },
    { path: 'opaque/sub/old2.txt', type: 'file', content: 'hidden too\n' },
  ],
  [
    { path: 'data/deleted.txt', type: 'whiteout' },
    // the opaque marker comes before the directory's own entry on purpose
    { path: 'opaque', type: 'opaque' },
    { path: 'opaque', type: 'dir', mode: 0o750, uid: 1000, gid: 2000, mtime: 1_600_000_000 },
    { path: 'opaque/new.txt', type: 'file', content: 'the only file left\n' },
    { path: 'data/original', type: 'file', content: 'one inode, two names\n', mtime: 1_500_000_000 },
    { path: 'data/hardlink', type: 'hardlink', linkname: 'data/original' },
    { path: 'usr/bin/suid-tool', type: 'file', mode: 0o4755, content: '#!/bin/sh\nid\n' },
    { path: 'usr/bin/sgid-tool', type: 'file', mode: 0o2755, gid: 2000, content: '#!/bin/sh\nid\n' },
    { path: 'usr/bin/cap-tool', type: 'file', mode: 0o755, content: '#!/bin/sh\nid\n', xattrs: { 'security.capability': CAP_NET_RAW } },
    { path: 'shared', type: 'dir', mode: 0o1777 },
    { path: 'abs-link', type: 'symlink', linkname: '/etc/passwd' },
  ],
]

/**
 * Hostile layers: each must fail to unpack ('reject') or unpack without
 * touching anything outside its directory ('contain'). `outside` is a
 * directory of the host that the layer aims at.
 */
export function hostileLayers(outside) {
  return [
    {
      name: 'dotdot-path',
      expect: 'reject',
      entries: [{ path: '../escape.txt', type: 'file', content: 'x' }],
    },
    {
      name: 'dotdot-inside-path',
      expect: 'reject',
      entries: [{ path: 'a/b/../../../escape.txt', type: 'file', content: 'x' }],
    },
    {
      name: 'absolute-path',
      advisory: 'GHSA-3jfq-g458-7qm9 (CVE-2021-32804)',
      expect: 'reject',
      entries: [{ path: `////${outside.replace(/^\/+/, '')}/escape.txt`, type: 'file', content: 'x' }],
    },
    {
      name: 'symlink-then-write-through',
      advisory: 'CVE-2025-47290',
      expect: 'reject',
      entries: [
        { path: 'link', type: 'symlink', linkname: outside },
        { path: 'link/escape.txt', type: 'file', content: 'x' },
      ],
    },
    {
      name: 'relative-symlink-then-write-through',
      advisory: 'CVE-2025-47290',
      expect: 'reject',
      entries: [
        { path: 'deep/link', type: 'symlink', linkname: '../../../../../../../../..' + outside },
        { path: 'deep/link/escape.txt', type: 'file', content: 'x' },
      ],
    },
    {
      name: 'dir-replaced-by-symlink',
      advisory: 'GHSA-r628-mhmh-qjhw (CVE-2021-32803)',
      expect: 'reject',
      entries: [
        { path: 'victim', type: 'dir' },
        { path: 'victim/ok.txt', type: 'file', content: 'fine' },
        { path: 'victim', type: 'symlink', linkname: outside },
        { path: 'victim/escape.txt', type: 'file', content: 'x' },
      ],
    },
    {
      name: 'dir-replaced-by-symlink-trailing-slash',
      advisory: 'GHSA-9r2w-394v-53qc (CVE-2021-37701)',
      expect: 'reject',
      entries: [
        { path: 'victim/', type: 'dir' },
        { path: './victim//', type: 'symlink', linkname: outside },
        { path: 'victim/escape.txt', type: 'file', content: 'x' },
      ],
    },
    {
      name: 'hardlink-dotdot',
      expect: 'reject',
      entries: [{ path: 'hl', type: 'hardlink', linkname: '../../../../../../../etc/passwd' }],
    },
    {
      name: 'hardlink-absolute',
      expect: 'reject',
      entries: [{ path: 'hl', type: 'hardlink', linkname: `${outside}/target.txt` }],
    },
    {
      name: 'hardlink-through-symlink',
      advisory: 'CVE-2025-47290',
      expect: 'reject',
      entries: [
        { path: 'link', type: 'symlink', linkname: outside },
        { path: 'hl', type: 'hardlink', linkname: 'link/target.txt' },
      ],
    },
    {
      name: 'whiteout-dotdot',
      expect: 'reject',
      entries: [{ path: '../target.txt', type: 'whiteout' }],
    },
    {
      name: 'whiteout-of-dotdot',
      expect: 'reject',
      entries: [{ path: 'dir/.wh...', type: 'file', content: '' }],
    },
    {
      name: 'whiteout-through-symlink',
      expect: 'reject',
      entries: [
        { path: 'link', type: 'symlink', linkname: outside },
        { path: 'link/target.txt', type: 'whiteout' },
      ],
    },
    {
      name: 'opaque-through-symlink',
      expect: 'reject',
      entries: [
        { path: 'link', type: 'symlink', linkname: outside },
        { path: 'link', type: 'opaque' },
      ],
    },
    {
      name: 'overlay-xattr-smuggled',
      expect: 'reject',
      entries: [{ path: 'dir', type: 'dir', xattrs: { 'trusted.overlay.redirect': '/etc' } }],
    },
    {
      name: 'file-over-symlink',
      expect: 'contain',
      entries: [
        { path: 'link', type: 'symlink', linkname: `${outside}/target.txt` },
        { path: 'link', type: 'file', content: 'replaces the link, not the target' },
      ],
    },
    {
      name: 'symlink-to-outside-only',
      expect: 'contain',
      entries: [{ path: 'etc', type: 'symlink', linkname: outside }],
    },
  ]
}
