// Shared by the number controls (Int, Float).
/** The number typed or slid into an input; NaN while it is empty or not a number (the field says why). */
export function inputNumber(e: Event): number {
  const raw = (e.target as HTMLInputElement).value;
  if (raw.trim() === '') return NaN;
  return Number(raw);
}
