/**
 * What the page saved through save-file.ts, in a test: jsdom has no blob URLs and no downloads,
 * so each save is caught at the link's click with the name it is saved under and its bytes; a
 * download link the agent handed out (the dashboard of roost serve) is caught as followed.
 */
export interface SavedFile {
  name: string;
  type: string;
  text: Promise<string>;
}

export function catchSavedFiles(): {
  saved: SavedFile[];
  /** Download links followed: the address and the name to save under. */
  followed: { href: string; name: string }[];
  restore: () => void;
} {
  const saved: SavedFile[] = [];
  const followed: { href: string; name: string }[] = [];
  const blobs = new Map<string, Blob>();
  const { createObjectURL, revokeObjectURL } = URL;
  const click = HTMLAnchorElement.prototype.click;
  URL.createObjectURL = (blob: Blob) => {
    const url = `blob:saved-${blobs.size}`;
    blobs.set(url, blob);
    return url;
  };
  URL.revokeObjectURL = () => undefined;
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
    const blob = blobs.get(this.href);
    if (blob) saved.push({ name: this.download, type: blob.type, text: blob.text() });
    else followed.push({ href: this.href, name: this.download });
  };
  return {
    saved,
    followed,
    restore: () => {
      URL.createObjectURL = createObjectURL;
      URL.revokeObjectURL = revokeObjectURL;
      HTMLAnchorElement.prototype.click = click;
    },
  };
}
