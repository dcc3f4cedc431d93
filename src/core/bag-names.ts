/**
 * The names of the files in a bag (README "Exports"): `<camera>/<batch>/<path on the drive>`,
 * each segment made safe, and no two names any disk takes for one.
 *
 * A bag goes to whatever the agency brings: a FAT or exFAT stick, an NTFS or APFS disk. Those fold
 * case (IMG_1.JPG and img_1.jpg are one file), compare Unicode names by their normalised form,
 * and (FAT, NTFS under Windows) ignore trailing dots and spaces. Two cameras, or one drive written
 * by a case-sensitive system, can hold names that differ only so; written as they are, the second
 * is refused as an existing file (or lands in the first's folder while the manifest names another
 * spelling). So at every level of the bag's folders, among the names of one folder, taken in byte
 * order, the first of those a disk would take for one keeps its name and each later one gets `~N`
 * (the lowest N from 2 that no other name of the folder takes): before the extension of a file
 * (`img_1~2.jpg`), at the end of a folder (`dcim~2`). The manifest and the receipt name each file
 * as written; the receipt also names the path on the drive of every file whose bag path is not
 * `<camera>/<batch>/<its path on the drive>` verbatim.
 */

/** One safe path segment: no separators, control characters, or dot-only names. */
export function safeSegment(seg: string): string {
  const s = seg.replace(/[\u0000-\u001f\u007f\\:]/g, '_');
  return s === '' || s === '.' || s === '..' ? '_' : s;
}

/** The name as a case-folding, normalising disk compares it: two names with one key are one file there. */
export function foldKey(name: string): string {
  return name
    .normalize('NFC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFC')
    .replace(/[. ]+$/, '');
}

/** `name` with `~n` before a file's extension, or at the end of a folder's name. */
function numbered(name: string, n: number, folder: boolean): string {
  const dot = name.lastIndexOf('.');
  if (folder || dot <= 0) return `${name}~${n}`;
  return `${name.slice(0, dot)}~${n}${name.slice(dot)}`;
}

interface Node {
  children: Map<string, Node>;
  /** The name written in the bag (set when its folder is named). */
  name: string;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function nameChildren(node: Node): void {
  // Byte order of the written names; of two made alike by safeSegment, the one written as it is first.
  const raws = [...node.children.keys()].sort(
    (a, b) =>
      byBytes(safeSegment(a), safeSegment(b)) ||
      Number(safeSegment(a) !== a) - Number(safeSegment(b) !== b) ||
      byBytes(a, b),
  );
  const taken = new Set(raws.map((r) => foldKey(safeSegment(r))));
  const used = new Set<string>();
  for (const raw of raws) {
    const child = node.children.get(raw)!;
    const safe = safeSegment(raw);
    let name = safe;
    if (used.has(foldKey(safe)))
      for (let n = 2; ; n++) {
        const cand = numbered(safe, n, child.children.size > 0);
        const k = foldKey(cand);
        if (!taken.has(k) && !used.has(k)) {
          name = cand;
          break;
        }
      }
    used.add(foldKey(name));
    child.name = name;
    nameChildren(child);
  }
}

/**
 * The bag path of each entry (its segments as recorded: camera, batch, then the path on the drive
 * split at '/'), in the order given, by the rule above. Entries with the same segments get the same path.
 */
export function bagPaths(entries: readonly (readonly string[])[]): string[] {
  const root: Node = { children: new Map(), name: '' };
  for (const segs of entries) {
    let at = root;
    for (const seg of segs) {
      let next = at.children.get(seg);
      if (!next) {
        next = { children: new Map(), name: '' };
        at.children.set(seg, next);
      }
      at = next;
    }
  }
  nameChildren(root);
  return entries.map((segs) => {
    const names: string[] = [];
    let at = root;
    for (const seg of segs) {
      at = at.children.get(seg)!;
      names.push(at.name);
    }
    return names.join('/');
  });
}
