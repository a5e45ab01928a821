/**
 * Blobs that uploads in this process are putting in place right now: their
 * rows may not be committed yet, so nothing may take them for orphans. Held
 * from before the first blob is put until the rows are written or the upload
 * gave up; counted, since two uploads of the same bytes can overlap.
 */
export class BlobsInFlight {
  private readonly holders = new Map<string, number>();

  has(sha256: string): boolean {
    return this.holders.has(sha256);
  }

  /** Marks the blobs until the returned function is called (calling it again does nothing). */
  hold(sha256s: readonly string[]): () => void {
    for (const sha256 of sha256s) this.holders.set(sha256, (this.holders.get(sha256) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      for (const sha256 of sha256s) {
        const count = this.holders.get(sha256)! - 1;
        if (count === 0) this.holders.delete(sha256);
        else this.holders.set(sha256, count);
      }
    };
  }
}
