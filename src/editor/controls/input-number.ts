// Shared by the number controls (Int, Float).
/** The number typed or slid into an input, or null while it is empty or not a number. */
export function inputNumber(e: Event): number | null {
  const raw = (e.target as HTMLInputElement).value;
  if (raw.trim() === '') return null;
  const v = Number(raw);
  return Number.isFinite(v) ? v : null;
}
