/** Hands a file to the browser as a download (Save, ⤓ Model, ⤓ PNG). */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The click has started the download by the time this runs.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
